import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@dpo-ts/core';
import { Rng } from '@dpo-ts/core/training';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import type { GPTConfigInput } from './gpt-config.js';
import { GPT } from './gpt-model.js';
import type { KVCache } from './kv-cache.js';

const TINY: GPTConfigInput = { vocabSize: 11, contextLength: 8, dModel: 8, nLayer: 2, nHead: 2, seed: 3 };

/** GPT-2 forward pass in float64 with plain loops, from the model's weights: the parity reference. */
function referenceLogits(model: GPT, ids: readonly (readonly number[])[]): number[][][] {
  const { dModel: d, nHead, nLayer, layerNormEpsilon, vocabSize } = model.config;
  const hd = d / nHead;
  const weights = model.namedVariables();
  const w = (name: string): Float64Array => Float64Array.from(weights.get(name)!.dataSync());
  const row = (matrix: Float64Array, i: number, width: number): number[] =>
    Array.from(matrix.subarray(i * width, (i + 1) * width));
  const affine = (x: number[], kernel: Float64Array, bias: Float64Array | undefined, outputs: number): number[] =>
    Array.from({ length: outputs }, (_, j) =>
      x.reduce((sum, xi, i) => sum + xi * kernel[i * outputs + j]!, bias?.[j] ?? 0),
    );
  const norm = (x: number[], name: string): number[] => {
    const mean = x.reduce((a, b) => a + b, 0) / x.length;
    const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length;
    const gamma = w(`${name}.gamma`);
    const beta = w(`${name}.beta`);
    return x.map((v, i) => ((v - mean) / Math.sqrt(variance + layerNormEpsilon)) * gamma[i]! + beta[i]!);
  };
  const gelu = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
  const wte = w('wte');
  const wpe = w('wpe');
  return ids.map((sequence) => {
    let xs = sequence.map((id, t) => row(wte, id, d).map((v, i) => v + wpe[t * d + i]!));
    for (let layer = 0; layer < nLayer; layer++) {
      const p = `h.${layer}`;
      const qkv = xs.map((x) =>
        affine(norm(x, `${p}.ln_1`), w(`${p}.attn.c_attn.kernel`), w(`${p}.attn.c_attn.bias`), 3 * d),
      );
      const attended = xs.map((_, t) => {
        const out = new Array<number>(d).fill(0);
        for (let h = 0; h < nHead; h++) {
          const q = qkv[t]!.slice(h * hd, (h + 1) * hd);
          const scores = qkv
            .slice(0, t + 1)
            .map((kv) => q.reduce((s, qi, i) => s + qi * kv[d + h * hd + i]!, 0) / Math.sqrt(hd));
          const max = Math.max(...scores);
          const exps = scores.map((s) => Math.exp(s - max));
          const total = exps.reduce((a, b) => a + b, 0);
          exps.forEach((e, j) => {
            for (let i = 0; i < hd; i++) out[h * hd + i]! += (e / total) * qkv[j]![2 * d + h * hd + i]!;
          });
        }
        return affine(out, w(`${p}.attn.c_proj.kernel`), w(`${p}.attn.c_proj.bias`), d);
      });
      xs = xs.map((x, t) => x.map((v, i) => v + attended[t]![i]!));
      xs = xs.map((x) => {
        const hidden = affine(norm(x, `${p}.ln_2`), w(`${p}.mlp.c_fc.kernel`), w(`${p}.mlp.c_fc.bias`), 4 * d).map(
          gelu,
        );
        const out = affine(hidden, w(`${p}.mlp.c_proj.kernel`), w(`${p}.mlp.c_proj.bias`), d);
        return x.map((v, i) => v + out[i]!);
      });
    }
    return xs.map((x) => {
      const normed = norm(x, 'ln_f');
      if (weights.has('lm_head.kernel')) return affine(normed, w('lm_head.kernel'), undefined, vocabSize);
      return Array.from({ length: vocabSize }, (_, v) => normed.reduce((s, xi, i) => s + xi * wte[v * d + i]!, 0));
    });
  });
}

const ids2d = (rows: number[][]): tf.Tensor2D => tf.tensor2d(rows, undefined, 'int32');

describe('GPT', () => {
  const models: GPT[] = [];
  const make = (config: Partial<GPTConfigInput> = {}): GPT => {
    const model = new GPT({ ...TINY, ...config });
    models.push(model);
    return model;
  };
  afterAll(() =>
    models.forEach((model) => {
      model.dispose();
    }),
  );

  it('matches a float64 reference forward pass, tied and untied, one-hot and gather', async () => {
    const rows = [
      [1, 4, 9, 2, 7],
      [3, 3, 0, 10, 5],
    ];
    for (const config of [{}, { tieWeights: false, seed: 5 }, { embeddingLookup: 'gather' as const, nLayer: 1 }]) {
      const model = make(config);
      await expectNoLeak(() => {
        const logits = tf.tidy(() => model.forward(ids2d(rows)));
        expect(logits.shape).toEqual([2, 5, 11]);
        expectClose(logits, referenceLogits(model, rows).flat(2), { atol: 1e-5, rtol: 1e-4 });
        logits.dispose();
      });
    }
  });

  it('has GPT-2 names, parameter count and initialisation', () => {
    const model = make({ dModel: 16, nLayer: 2, nHead: 4, contextLength: 8, vocabSize: 11 });
    const names = [...model.namedVariables().keys()];
    expect(names.slice(0, 8)).toEqual([
      'wte',
      'wpe',
      'h.0.ln_1.gamma',
      'h.0.ln_1.beta',
      'h.0.attn.c_attn.kernel',
      'h.0.attn.c_attn.bias',
      'h.0.attn.c_proj.kernel',
      'h.0.attn.c_proj.bias',
    ]);
    expect(names.slice(-2)).toEqual(['ln_f.gamma', 'ln_f.beta']);
    const d = 16;
    expect(model.numParameters()).toBe(11 * d + 8 * d + 2 * (12 * d * d + 13 * d) + 2 * d);
    expect(model.trainableVariables()).toHaveLength(names.length);
    const std = (name: string): number =>
      tf.tidy(() => tf.sqrt(tf.moments(model.namedVariables().get(name)!).variance).dataSync()[0]!);
    expect(std('h.0.mlp.c_fc.kernel')).toBeCloseTo(0.02, 2);
    expect(std('h.0.mlp.c_proj.kernel')).toBeCloseTo(0.02 / Math.sqrt(4), 2);
    expectClose(model.namedVariables().get('h.1.ln_2.gamma')!, new Array(d).fill(1));
    const untied = make({ tieWeights: false });
    expect([...untied.namedVariables().keys()].at(-1)).toBe('lm_head.kernel');
  });

  it('is seeded: same seed same weights, another seed other weights; clone copies', () => {
    const a = make({ seed: 7 });
    const b = make({ seed: 7 });
    const c = make({ seed: 8 });
    expectClose(a.namedVariables().get('h.1.attn.c_attn.kernel')!, b.namedVariables().get('h.1.attn.c_attn.kernel')!, {
      atol: 0,
      rtol: 0,
    });
    expect(() => expectClose(a.namedVariables().get('wte')!, c.namedVariables().get('wte')!)).toThrow();
    const copy = c.clone();
    models.push(copy);
    tf.tidy(() => expectClose(copy.forward(ids2d([[1, 2, 3]])), c.forward(ids2d([[1, 2, 3]])), { atol: 0, rtol: 0 }));
  });

  it('is causal: later tokens do not change earlier logits', () => {
    const model = make();
    tf.tidy(() => {
      const a = model.forward(ids2d([[1, 2, 3, 4, 5]]));
      const b = model.forward(ids2d([[1, 2, 3, 9, 0]]));
      expectClose(tf.slice(a, [0, 0, 0], [1, 3, 11]), tf.slice(b, [0, 0, 0], [1, 3, 11]), { atol: 1e-6 });
      expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeGreaterThan(1e-4);
    });
  });

  it('applies seeded dropout only when training', () => {
    const model = make({ dropout: 0.3 });
    tf.tidy(() => {
      const input = ids2d([[1, 2, 3, 4]]);
      const evaluation = model.forward(input);
      expectClose(model.forward(input, { training: false }), evaluation, { atol: 0, rtol: 0 });
      const first = model.forward(input, { training: true, rng: new Rng(1) });
      const again = model.forward(input, { training: true, rng: new Rng(1) });
      expectClose(first, again, { atol: 0, rtol: 0 });
      expect(tf.max(tf.abs(tf.sub(first, evaluation))).dataSync()[0]).toBeGreaterThan(1e-3);
    });
  });

  it('gives the same logits incrementally with a KV cache', async () => {
    const model = make();
    const rows = [
      [1, 4, 9, 2, 7, 3],
      [3, 3, 0, 10, 5, 6],
    ];
    await expectNoLeak(() => {
      const full = tf.tidy(() => model.forward(ids2d(rows)));
      // Prefill 3 positions, then one at a time.
      const step = (columns: number[][], past: KVCache | undefined): { logits: tf.Tensor3D; cache: KVCache } => {
        const input = ids2d(columns);
        const result = model.forwardWithCache(input, past);
        input.dispose();
        past?.dispose();
        return result;
      };
      let { logits, cache } = step(
        rows.map((r) => r.slice(0, 3)),
        undefined,
      );
      const pieces = [logits];
      for (let t = 3; t < 6; t++) {
        ({ logits, cache } = step(
          rows.map((r) => [r[t]!]),
          cache,
        ));
        pieces.push(logits);
      }
      expect(cache.length).toBe(6);
      const joined = tf.concat(pieces, 1);
      expectClose(joined, full, { atol: 1e-5, rtol: 1e-4 });
      tf.dispose([full, joined, ...pieces]);
      cache.dispose();
    });
  });

  it('ignores left padding given an attention mask and position ids', () => {
    const model = make();
    tf.tidy(() => {
      const plain = model.forward(ids2d([[5, 6, 7]]));
      const padded = model.forward(ids2d([[0, 0, 5, 6, 7]]), {
        attentionMask: tf.tensor2d([[0, 0, 1, 1, 1]]),
        positionIds: ids2d([[0, 0, 0, 1, 2]]),
      });
      expectClose(tf.slice(padded, [0, 2, 0], [1, 3, 11]), plain, { atol: 1e-5, rtol: 1e-4 });
      expect(Number.isFinite(tf.sum(padded).dataSync()[0])).toBe(true);
    });
  });

  it('gives every variable a finite, non-zero gradient', async () => {
    const model = make({ tieWeights: false, dropout: 0.1 });
    await expectNoLeak(() => {
      const { value, grads } = tf.variableGrads(() =>
        tf.tidy(() => tf.mean(tf.square(model.forward(ids2d([[1, 2, 3, 4]]), { training: true, rng: new Rng(0) })))),
      );
      expect(Object.keys(grads)).toHaveLength(model.trainableVariables().length);
      for (const [name, grad] of Object.entries(grads)) {
        const norm = tf.tidy(() => tf.norm(grad).dataSync()[0]!);
        expect(Number.isFinite(norm) && norm > 0, name).toBe(true);
      }
      tf.dispose([value, ...Object.values(grads)]);
    });
  });

  it('validates its inputs and configuration', () => {
    const model = make();
    expect(() => tf.tidy(() => model.forward(ids2d([new Array(9).fill(1)])))).toThrow(InvalidArgumentError);
    expect(() => new GPT({ ...TINY, dModel: 9 })).toThrow(/divisible by nHead/);
    expect(() => new GPT({ ...TINY, nLayers: 2 } as never)).toThrow(/config\.nLayers/);
    const disposed = new GPT(TINY);
    disposed.dispose();
    expect(() => disposed.trainableVariables()).toThrow(/disposed/);
  });
});
