import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { MLPDenoiser } from './mlp-denoiser.js';

const small = { imageShape: [4, 4, 1] as const, numClasses: 3, hiddenSize: 16, numLayers: 2, timeEmbeddingDim: 8 };

function inputs(): { x: tf.Tensor4D; t: tf.Tensor1D; c: tf.Tensor1D } {
  return {
    x: tf.tidy(() => tf.sin(tf.reshape(tf.range(0, 32), [2, 4, 4, 1]))),
    t: tf.tensor1d([3, 40]),
    c: tf.tensor1d([0, 3], 'int32'),
  };
}

describe('MLPDenoiser', () => {
  it('predicts NHWC noise, zero at init by default (zero output layer)', async () => {
    const model = new MLPDenoiser(small);
    const { x, t, c } = inputs();
    await expectNoLeak(() => {
      const eps = model.predictNoise(x, t, c);
      expect(eps.shape).toEqual([2, 4, 4, 1]);
      expectClose(eps, new Array<number>(32).fill(0));
      eps.dispose();
    });
    expect([...model.namedVariables().keys()]).toEqual([
      'in.kernel',
      'in.bias',
      'emb.time.0.kernel',
      'emb.time.0.bias',
      'emb.time.1.kernel',
      'emb.time.1.bias',
      'emb.class',
      'layers.0.kernel',
      'layers.0.bias',
      'layers.1.kernel',
      'layers.1.bias',
      'layers.0.emb.kernel',
      'layers.0.emb.bias',
      'layers.1.emb.kernel',
      'layers.1.emb.bias',
      'out.kernel',
      'out.bias',
      'skip.kernel',
      'skip.bias',
    ]);
    expect(model.nullClass).toBe(3);
    expect(model.parameterCount()).toBe(
      16 * 16 + 16 + 8 * 16 + 16 + 16 * 16 + 16 + 4 * 16 + 4 * (16 * 16 + 16) + 16 * 16 + 16 + 16 + 1,
    );
    model.dispose();
    tf.dispose([x, t, c]);
  });

  it('is deterministic per seed, depends on the timestep and the class, and trains every weight', async () => {
    const a = new MLPDenoiser({ ...small, zeroInitOutput: false, seed: 7 });
    const b = new MLPDenoiser({ ...small, zeroInitOutput: false, seed: 7 });
    const { x, t, c } = inputs();
    await expectNoLeak(() => {
      tf.tidy(() => {
        expectClose(a.predictNoise(x, t, c), b.predictNoise(x, t, c), { atol: 0, rtol: 0 });
        const otherClass = a.predictNoise(x, t, tf.tensor1d([1, 2], 'int32'));
        expect(tf.max(tf.abs(tf.sub(otherClass, a.predictNoise(x, t, c)))).dataSync()[0]).toBeGreaterThan(1e-4);
        const otherTime = a.predictNoise(x, tf.tensor1d([500, 7]), c);
        expect(tf.max(tf.abs(tf.sub(otherTime, a.predictNoise(x, t, c)))).dataSync()[0]).toBeGreaterThan(1e-4);
        const { grads } = tf.variableGrads(() => tf.sum(tf.square(a.predictNoise(x, t, c))), a.trainableVariables());
        for (const [name, grad] of Object.entries(grads)) {
          expect(Number.isFinite(tf.sum(grad).dataSync()[0]), name).toBe(true);
          expect(tf.max(tf.abs(grad)).dataSync()[0], name).toBeGreaterThan(0);
        }
      });
    });
    a.dispose();
    b.dispose();
    tf.dispose([x, t, c]);
  });

  it('validates its config with named fields', () => {
    expect(() => new MLPDenoiser({ hiddenSize: 0 })).toThrow('mlp.hiddenSize must be an integer >= 1: got 0');
    expect(() => new MLPDenoiser({ imageShape: [28, 28] as unknown as [number, number, number] })).toThrow(
      'mlp.imageShape',
    );
    expect(() => new MLPDenoiser({ cfgDropProb: 2 })).toThrow('mlp.cfgDropProb');
  });
});
