import { afterEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@dpo-ts/core/training';
import { checkGradient, expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { ParameterStore } from './parameter-store.js';
import { createCrossAttention, crossAttention, type CrossAttentionParams } from './cross-attention.js';

function normals(length: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length }, () => rng.normal());
}

/** A layer with every weight drawn N(0, 0.5^2), the output projection included (a fresh one is zero). */
const stores: ParameterStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) tf.dispose([...store.namedVariables().values()]);
});
function randomLayer(channels: number, contextDim: number, heads: number, seed: number): CrossAttentionParams {
  const store = new ParameterStore(new Rng(seed));
  stores.push(store);
  const params = createCrossAttention(store, 'attn', channels, contextDim, heads, 2);
  let k = seed * 10;
  for (const variable of store.namedVariables().values())
    variable.assign(
      tf.tensor(
        Float32Array.from(normals(variable.size, k++), (v) => 0.5 * v),
        variable.shape,
      ),
    );
  return params;
}

/**
 * The layer computed in float64 from its definition, loop by loop: group-normalised features,
 * per-head scaled dot products with every context vector, softmax, the weighted values, the output
 * projection, the residual.
 */
function reference(params: CrossAttentionParams, h: tf.Tensor4D, context: tf.Tensor3D): Float64Array {
  const [b, H, W, C] = h.shape;
  const [, L, D] = context.shape;
  const heads = params.heads;
  const hd = C / heads;
  const groups = params.norm.groups;
  const x = h.dataSync();
  const c = context.dataSync();
  const read = (v: tf.Variable) => Float64Array.from(v.dataSync());
  const [gamma, beta] = [read(params.norm.gamma), read(params.norm.beta)];
  const [wq, bq] = [read(params.query.kernel), read(params.query.bias)];
  const [wk, bk] = [read(params.key.kernel), read(params.key.bias)];
  const [wv, bv] = [read(params.value.kernel), read(params.value.bias)];
  const [wo, bo] = [read(params.out.kernel), read(params.out.bias)];
  const linear = (input: ArrayLike<number>, w: Float64Array, bias: Float64Array, inDim: number, outDim: number) =>
    Float64Array.from({ length: outDim }, (_, o) => {
      let sum = bias[o]!;
      for (let i = 0; i < inDim; i++) sum += input[i]! * w[i * outDim + o]!;
      return sum;
    });
  const out = new Float64Array(x.length);
  const P = H * W;
  for (let n = 0; n < b; n++) {
    // Group norm over positions and the group's channels.
    const normed = new Float64Array(P * C);
    const size = C / groups;
    for (let g = 0; g < groups; g++) {
      let mean = 0;
      for (let p = 0; p < P; p++) for (let k = 0; k < size; k++) mean += x[n * P * C + p * C + g * size + k]!;
      mean /= P * size;
      let variance = 0;
      for (let p = 0; p < P; p++)
        for (let k = 0; k < size; k++) variance += (x[n * P * C + p * C + g * size + k]! - mean) ** 2;
      variance /= P * size;
      for (let p = 0; p < P; p++)
        for (let k = 0; k < size; k++) {
          const ch = g * size + k;
          normed[p * C + ch] =
            ((x[n * P * C + p * C + ch]! - mean) / Math.sqrt(variance + 1e-5)) * gamma[ch]! + beta[ch]!;
        }
    }
    const keys = Array.from({ length: L }, (_, l) =>
      linear(c.subarray((n * L + l) * D, (n * L + l + 1) * D), wk, bk, D, C),
    );
    const values = Array.from({ length: L }, (_, l) =>
      linear(c.subarray((n * L + l) * D, (n * L + l + 1) * D), wv, bv, D, C),
    );
    for (let p = 0; p < P; p++) {
      const q = linear(normed.subarray(p * C, (p + 1) * C), wq, bq, C, C);
      const attended = new Float64Array(C);
      for (let head = 0; head < heads; head++) {
        const scores = keys.map((key) => {
          let dot = 0;
          for (let e = 0; e < hd; e++) dot += q[head * hd + e]! * key[head * hd + e]!;
          return dot / Math.sqrt(hd);
        });
        const top = Math.max(...scores);
        const weights = scores.map((s) => Math.exp(s - top));
        const total = weights.reduce((a, w) => a + w, 0);
        for (let l = 0; l < L; l++)
          for (let e = 0; e < hd; e++) attended[head * hd + e]! += (weights[l]! / total) * values[l]![head * hd + e]!;
      }
      const projected = linear(attended, wo, bo, C, C);
      for (let ch = 0; ch < C; ch++) out[n * P * C + p * C + ch] = x[n * P * C + p * C + ch]! + projected[ch]!;
    }
  }
  return out;
}

describe('crossAttention', () => {
  it('matches a float64 loop implementation of softmax(Q K^T / sqrt(d)) V per head, plus the residual', async () => {
    for (const heads of [1, 2]) {
      const params = randomLayer(4, 3, heads, heads);
      const h = tf.tensor4d(normals(2 * 2 * 3 * 4, 7), [2, 2, 3, 4]);
      const context = tf.tensor3d(normals(2 * 5 * 3, 8), [2, 5, 3]);
      await expectNoLeak(() => {
        const y = crossAttention(params, h, context);
        expect(y.shape).toEqual([2, 2, 3, 4]);
        expectClose(y, Array.from(reference(params, h, context)), { atol: 1e-5, rtol: 1e-4 });
        y.dispose();
      });
      tf.dispose([h, context]);
    }
  });

  it('starts as the identity (zero output projection) with weights named attn.{norm,q,k,v,out}', () => {
    const store = new ParameterStore(new Rng(0));
    const params = createCrossAttention(store, 'attn', 4, 3, 2, 2);
    expect([...store.namedVariables().keys()].sort()).toEqual(
      ['norm.gamma', 'norm.beta', 'q.kernel', 'q.bias', 'k.kernel', 'k.bias', 'v.kernel', 'v.bias']
        .concat(['out.kernel', 'out.bias'])
        .map((n) => `attn.${n}`)
        .sort(),
    );
    const h = tf.tensor4d(normals(16, 1), [1, 2, 2, 4]);
    const context = tf.tensor3d(normals(6, 2), [1, 2, 3]);
    const y = crossAttention(params, h, context);
    expectClose(y, Array.from(h.dataSync()), { atol: 0 });
    tf.dispose([h, context, y, ...store.namedVariables().values()]);
    expect(() => createCrossAttention(new ParameterStore(new Rng(0)), 'attn', 6, 3, 4, 2)).toThrow(
      'attn: 4 heads do not divide 6 channels',
    );
  });

  it('has gradients that match finite differences (features and context)', () => {
    const params = randomLayer(4, 3, 2, 5);
    const h = tf.tensor4d(normals(2 * 2 * 2 * 4, 3), [2, 2, 2, 4]);
    const context = tf.tensor3d(normals(2 * 3 * 3, 4), [2, 3, 3]);
    const weights = tf.tensor4d(normals(2 * 2 * 2 * 4, 5), [2, 2, 2, 4]);
    const f = (features: tf.Tensor, ctx: tf.Tensor): tf.Scalar =>
      tf.sum(tf.mul(crossAttention(params, features as tf.Tensor4D, ctx as tf.Tensor3D), weights));
    const result = checkGradient(f as (...inputs: tf.Tensor[]) => tf.Scalar, [h, context], {
      epsilon: 1e-2,
      atol: 2e-2,
      rtol: 2e-2,
    });
    expect(result.maxAbsError).toBeLessThan(2e-2);
    tf.dispose([h, context, weights]);
  });
});
