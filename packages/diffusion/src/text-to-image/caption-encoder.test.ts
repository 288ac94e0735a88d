import * as tf from '@tensorflow/tfjs-core';
import { computeNamedGradients } from '@dpo-ts/core/training';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { CaptionEncoder } from './caption-encoder.js';
import { CaptionTokenizer } from './caption-tokenizer.js';

const CAPTIONS = ['red apple', 'green apple', 'flag: Egypt', 'grinning face', 'face with tears of joy', 'red heart'];

describe('CaptionEncoder', () => {
  const tokenizer = CaptionTokenizer.fromCaptions(CAPTIONS);
  const config = { vocabSize: tokenizer.vocabSize, maxLength: 6, dim: 16, layers: 2, heads: 4 };

  it('returns token vectors [b, T, d] and pooled [b, d] without leaking', async () => {
    const encoder = new CaptionEncoder(config);
    await expectNoLeak(() => {
      const { tokens, pooled } = encoder.encode(tokenizer.encodeBatch(CAPTIONS.slice(0, 3), 6), 3);
      expect(tokens.shape).toEqual([3, 6, 16]);
      expect(pooled.shape).toEqual([3, 16]);
      tf.dispose([tokens, pooled]);
    });
    encoder.dispose();
  });

  it('ignores padding: a caption encodes the same at any maxLength', () => {
    const short = new CaptionEncoder({ ...config, maxLength: 3 });
    const long = new CaptionEncoder({ ...config, maxLength: 8 });
    // Give the long encoder the short one's weights (its 5 extra position rows are zeros).
    for (const [name, variable] of short.namedVariables()) {
      const target = long.namedVariables().get(name)!;
      tf.tidy(() => target.assign(name === 'pos' ? tf.concat([variable, tf.zeros([5, 16])], 0) : variable));
    }
    const a = short.encode(tokenizer.encode('red apple', 3), 1);
    const b = long.encode(tokenizer.encode('red apple', 8), 1);
    const [pa, pb] = [a.pooled.dataSync(), b.pooled.dataSync()];
    for (let i = 0; i < 16; i++) expect(pb[i]).toBeCloseTo(pa[i]!, 5);
    const empty = short.encode(new Int32Array(3), 1);
    expect(Array.from(empty.pooled.dataSync())).toEqual(new Array(16).fill(0));
    tf.dispose([a.tokens, a.pooled, b.tokens, b.pooled, empty.tokens, empty.pooled]);
    short.dispose();
    long.dispose();
  });

  it('sends gradients to every weight', async () => {
    const encoder = new CaptionEncoder(config);
    const ids = tokenizer.encodeBatch(CAPTIONS, 6);
    await expectNoLeak(() => {
      const { value, grads } = computeNamedGradients(() => {
        const { tokens, pooled } = encoder.encode(ids, CAPTIONS.length);
        return tf.add(tf.sum(tf.square(pooled)), tf.mean(tokens)) as tf.Scalar;
      }, encoder.namedVariables());
      expect([...grads.keys()].sort()).toEqual([...encoder.namedVariables().keys()].sort());
      for (const [name, gradient] of grads)
        expect(
          tf.tidy(() => tf.max(tf.abs(gradient)).dataSync()[0]),
          name,
        ).toBeGreaterThan(0);
      tf.dispose([value, ...grads.values()]);
    });
    encoder.dispose();
  });

  it('with featuresPerToken, a word slot is the mean of its ids rows: shapes, values, gradients, no leak', async () => {
    // 2 captions x 2 slots of 3 ids; no blocks, so out = layerNorm(row mean + position).
    const encoder = new CaptionEncoder({
      vocabSize: 9,
      maxLength: 6,
      featuresPerToken: 3,
      dim: 4,
      layers: 0,
      heads: 1,
    });
    const ids = Int32Array.from([5, 7, 0, 0, 0, 0, 2, 0, 0, 3, 4, 8]);
    await expectNoLeak(() => {
      const { tokens, pooled } = encoder.encode(ids, 2);
      expect(tokens.shape).toEqual([2, 2, 4]);
      expect(pooled.shape).toEqual([2, 4]);
      const table = encoder.namedVariables().get('tok')!.arraySync() as number[][];
      const position = encoder.namedVariables().get('pos')!.arraySync() as number[][];
      const normed = (v: number[]): number[] => {
        const mean = v.reduce((a, b) => a + b, 0) / v.length;
        const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
        return v.map((x) => (x - mean) / Math.sqrt(variance + 1e-5));
      };
      const first = normed(table[5]!.map((x, j) => (x + table[7]![j]!) / 2 + position[0]![j]!));
      const word = normed(table[2]!.map((x, j) => x + position[0]![j]!));
      const second = normed(table[3]!.map((x, j) => (x + table[4]![j]! + table[8]![j]!) / 3 + position[1]![j]!));
      const pooledValues = pooled.arraySync();
      for (let k = 0; k < 4; k++) {
        expect(pooledValues[0]![k]).toBeCloseTo(first[k]!, 4); // one slot: pooled = that slot
        expect(pooledValues[1]![k]).toBeCloseTo((word[k]! + second[k]!) / 2, 4);
      }
      const { value, grads } = computeNamedGradients(
        () => tf.sum(tf.square(encoder.encode(ids, 2).pooled)) as tf.Scalar,
        encoder.namedVariables(),
      );
      // Rows no slot reads (0, 1, 6) get no gradient; the ones read do.
      const tokGrad = grads.get('tok')!.arraySync() as number[][];
      expect([0, 1, 6].map((row) => Math.max(...tokGrad[row]!.map(Math.abs)))).toEqual([0, 0, 0]);
      expect(Math.max(...tokGrad[8]!.map(Math.abs))).toBeGreaterThan(0);
      tf.dispose([tokens, pooled, value, ...grads.values()]);
    });
    expect(() => new CaptionEncoder({ ...config, maxLength: 6, featuresPerToken: 4 })).toThrow(
      /captionEncoder\.maxLength must be a multiple of featuresPerToken \(4\): got 6/,
    );
    encoder.dispose();
  });

  it('refuses heads that do not divide dim', () => {
    expect(() => new CaptionEncoder({ ...config, heads: 3 })).toThrow(
      /captionEncoder\.heads must be a divisor of dim \(16\): got 3/,
    );
  });
});
