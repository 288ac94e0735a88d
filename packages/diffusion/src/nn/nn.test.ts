import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@dpo-ts/core/training';
import { checkGradient, expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { ParameterStore } from './parameter-store.js';
import { createGroupNorm, groupNorm } from './group-norm.js';
import { upsampleNearest2x } from './upsample.js';
import { timestepEmbedding } from './timestep-embedding.js';
import { createConv, createDense } from './layers.js';
import { addBias, scaleShift } from './bias.js';

function randomTensor(shape: number[], seed: number): tf.Tensor {
  const rng = new Rng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, () => rng.normal()),
    shape,
  );
}

describe('groupNorm', () => {
  it('normalises each (example, group) over height, width and the group channels', async () => {
    const store = new ParameterStore(new Rng(0));
    const params = createGroupNorm(store, 'gn', 4, 2);
    const x = randomTensor([2, 3, 3, 4], 1) as tf.Tensor4D;
    await expectNoLeak(() => {
      const y = groupNorm(params, x);
      // Reference in float64: group g of example b holds channels 2g, 2g+1 at every pixel.
      const xs = x.dataSync();
      const expected = new Float64Array(xs.length);
      for (let b = 0; b < 2; b++) {
        for (let g = 0; g < 2; g++) {
          const index = (p: number, k: number): number => b * 36 + p * 4 + 2 * g + k;
          let sum = 0;
          for (let p = 0; p < 9; p++) for (let k = 0; k < 2; k++) sum += xs[index(p, k)]!;
          const mean = sum / 18;
          let squares = 0;
          for (let p = 0; p < 9; p++) for (let k = 0; k < 2; k++) squares += (xs[index(p, k)]! - mean) ** 2;
          const std = Math.sqrt(squares / 18 + 1e-5);
          for (let p = 0; p < 9; p++)
            for (let k = 0; k < 2; k++) expected[index(p, k)] = (xs[index(p, k)]! - mean) / std;
        }
      }
      expectClose(y, Array.from(expected), { atol: 1e-5, rtol: 1e-4 });
      y.dispose();
    });
    tf.dispose([x, ...store.namedVariables().values()]);
  });

  it('has gradients that match finite differences (input, scale, shift)', () => {
    const store = new ParameterStore(new Rng(0));
    const params = createGroupNorm(store, 'gn', 4, 2);
    const x = randomTensor([2, 2, 2, 4], 2);
    const gamma = randomTensor([4], 3);
    const beta = randomTensor([4], 4);
    const weights = randomTensor([2, 2, 2, 4], 5);
    const f = (input: tf.Tensor, scale: tf.Tensor, shift: tf.Tensor): tf.Scalar => {
      const y = groupNorm({ gamma: scale as tf.Variable, beta: shift as tf.Variable, groups: 2 }, input as tf.Tensor4D);
      return tf.sum(tf.mul(y, weights));
    };
    const result = checkGradient(f as (...inputs: tf.Tensor[]) => tf.Scalar, [x, gamma, beta], {
      epsilon: 1e-2,
      atol: 2e-2,
      rtol: 2e-2,
    });
    expect(result.maxAbsError).toBeLessThan(2e-2);
    tf.dispose([x, gamma, beta, weights, ...store.namedVariables().values()]);
    expect(params.groups).toBe(2);
  });

  it('rejects a group count that does not divide the channels', () => {
    const store = new ParameterStore(new Rng(0));
    expect(() => createGroupNorm(store, 'gn', 6, 4)).toThrow(
      'gn.groups must be a positive divisor of the channel count 6: got 4',
    );
  });
});

describe('upsampleNearest2x', () => {
  it('repeats every pixel into a 2x2 block, and its gradient sums the block', async () => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]);
    await expectNoLeak(() => {
      const y = upsampleNearest2x(x);
      expect(y.shape).toEqual([1, 4, 4, 2]);
      const v = x.dataSync();
      const expected = Array.from({ length: 32 }, (_, k) => {
        const [row, column, channel] = [Math.floor(k / 8), Math.floor(k / 2) % 4, k % 2];
        return v[(Math.floor(row / 2) * 2 + Math.floor(column / 2)) * 2 + channel]!;
      });
      expectClose(y, expected);
      const weights = tf.tidy(() => tf.reshape(tf.range(0, 32), [1, 4, 4, 2]));
      const grad = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(upsampleNearest2x(input as tf.Tensor4D), weights)))(x);
      // d/dx[0,0,0,0] = sum of weights at pixels (0,0),(0,1),(1,0),(1,1), channel 0 = 0 + 2 + 8 + 10.
      expect(grad.dataSync()[0]).toBe(20);
      tf.dispose([y, weights, grad]);
    });
    x.dispose();
  });

  it('has the same gradient on wasm as on cpu for batches > 1 (wasm ResizeNearestNeighborGrad is wrong there)', async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    const gradients: number[][] = [];
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      gradients.push(
        tf.tidy(() => {
          const x = tf.ones([2, 2, 3, 2]) as tf.Tensor4D;
          const weights = tf.sin(tf.reshape(tf.range(0, 96), [2, 4, 6, 2]));
          return Array.from(
            tf
              .grad((input: tf.Tensor) => tf.sum(tf.mul(upsampleNearest2x(input as tf.Tensor4D), weights)))(x)
              .dataSync(),
          );
        }),
      );
    }
    await tf.setBackend('cpu');
    expectClose(gradients[1]!, gradients[0]!, { atol: 1e-6, rtol: 1e-6 });
  });
});

describe('timestepEmbedding', () => {
  it('is [sin(t f_i), cos(t f_i)] with f_i = 10000^(-i / (half - 1))', async () => {
    await expectNoLeak(() => {
      const t = tf.tensor1d([0, 3, 999]);
      const emb = timestepEmbedding(t, 8);
      const expected = [0, 3, 999].map((step) => {
        const f = [0, 1, 2, 3].map((i) => 10000 ** (-i / 3));
        return [...f.map((fi) => Math.sin(step * fi)), ...f.map((fi) => Math.cos(step * fi))];
      });
      expectClose(emb, expected, { atol: 1e-4, rtol: 1e-4 });
      tf.dispose([t, emb]);
    });
  });
});

describe('ParameterStore and layers', () => {
  it('is deterministic per seed, uses PyTorch bounds and stable unique names', () => {
    const make = (seed: number): number[] => {
      const store = new ParameterStore(new Rng(seed));
      const layer = createDense(store, 'fc', 16, 4);
      const values = Array.from(layer.kernel.dataSync());
      expect([...store.namedVariables().keys()]).toEqual(['fc.kernel', 'fc.bias']);
      expect(() => createDense(store, 'fc', 1, 1)).toThrow('name must be unique within a model');
      tf.dispose([...store.namedVariables().values()]);
      return values;
    };
    const a = make(1);
    expect(make(1)).toEqual(a);
    expect(make(2)).not.toEqual(a);
    expect(Math.max(...a.map(Math.abs))).toBeLessThanOrEqual(0.25);
    const store = new ParameterStore(new Rng(0));
    const conv = createConv(store, 'c', 3, 2, 5, true);
    expect(conv.kernel.shape).toEqual([3, 3, 2, 5]);
    expect(tf.sum(tf.abs(conv.kernel)).dataSync()[0]).toBe(0);
    tf.dispose([...store.namedVariables().values()]);
  });
});

describe('addBias and scaleShift', () => {
  it('compute x + b and x * s + t with gradients that match finite differences', async () => {
    const x = randomTensor([2, 3, 2, 3], 6);
    const s = randomTensor([3], 7);
    const t = randomTensor([3], 8);
    const weights = randomTensor([2, 3, 2, 3], 9);
    await expectNoLeak(() => {
      tf.tidy(() => {
        expectClose(addBias(x, t as tf.Tensor1D), tf.add(x, t));
        expectClose(scaleShift(x, s as tf.Tensor1D, t as tf.Tensor1D), tf.add(tf.mul(x, s), t));
      });
    });
    const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor): tf.Scalar =>
      tf.sum(tf.mul(addBias(scaleShift(a, b as tf.Tensor1D, c as tf.Tensor1D), c as tf.Tensor1D), weights));
    checkGradient(f as (...inputs: tf.Tensor[]) => tf.Scalar, [x, s, t], { epsilon: 1e-2, atol: 1e-2, rtol: 1e-2 });
    tf.dispose([x, s, t, weights]);
  });
});
