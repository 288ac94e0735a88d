import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@dpo-ts/core';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { WeightEMA, emaDecayAt } from './weight-ema.js';

function model(): Map<string, tf.Variable> {
  return new Map<string, tf.Variable>([
    ['a', tf.variable(tf.tensor1d([1, 2]))],
    ['b', tf.variable(tf.tensor2d([[4]]))],
  ]);
}

describe('emaDecayAt', () => {
  it('warms up as (1 + n) / (10 + n) and stops at the decay', () => {
    expect(emaDecayAt(0.999, 0)).toBeCloseTo(0.1, 12);
    expect(emaDecayAt(0.999, 2)).toBeCloseTo(3 / 12, 12);
    expect(emaDecayAt(0.5, 100)).toBe(0.5);
  });
});

describe('WeightEMA', () => {
  it('matches a hand-computed average over three steps and leaves no tensor', async () => {
    const variables = model();
    await expectNoLeak(async () => {
      const ema = new WeightEMA(variables, 0.5);
      // Step 1: d = min(0.5, 1/10) = 0.1. Weights move to a = [3, 2] first.
      tf.tidy(() => variables.get('a')!.assign(tf.tensor1d([3, 2])));
      expect(ema.update()).toBeCloseTo(0.1, 12);
      // shadow = 0.1 [1, 2] + 0.9 [3, 2] = [2.8, 2]
      // Step 2: d = min(0.5, 2/11) = 2/11; a = [5, 0].
      tf.tidy(() => variables.get('a')!.assign(tf.tensor1d([5, 0])));
      ema.update();
      const d2 = 2 / 11;
      const expected2 = [d2 * 2.8 + (1 - d2) * 5, d2 * 2 + (1 - d2) * 0];
      // Step 3: d = min(0.5, 3/12) = 0.25; a unchanged.
      ema.update();
      const expected3 = expected2.map((s, i) => 0.25 * s + 0.75 * [5, 0][i]!);
      const shadowA = Array.from(await ema.namedVariables().get('a')!.data());
      expect(shadowA[0]).toBeCloseTo(expected3[0]!, 5);
      expect(shadowA[1]).toBeCloseTo(expected3[1]!, 5);
      // b never moved: its average stays 4.
      expect(Array.from(await ema.namedVariables().get('b')!.data())).toEqual([4]);
      expect(ema.updateCount).toBe(3);
      ema.dispose();
    }, 0);
    for (const variable of variables.values()) variable.dispose();
  });

  it('swaps the averages in and out, and copies them into the model', async () => {
    const variables = model();
    const ema = new WeightEMA(variables, 0.9);
    variables.get('a')!.assign(tf.tensor1d([11, 12]));
    const before = tf.memory().numTensors;
    ema.swap();
    expect(Array.from(await variables.get('a')!.data())).toEqual([1, 2]);
    expect(Array.from(await ema.namedVariables().get('a')!.data())).toEqual([11, 12]);
    ema.swap();
    expect(Array.from(await variables.get('a')!.data())).toEqual([11, 12]);
    ema.copyToModel();
    expect(Array.from(await variables.get('a')!.data())).toEqual([1, 2]);
    expect(tf.memory().numTensors).toBe(before);
    ema.dispose();
    for (const variable of variables.values()) variable.dispose();
  });

  it('restores the warm-up counter and rejects a decay outside [0, 1)', () => {
    const variables = model();
    const ema = new WeightEMA(variables, 0.999);
    ema.updateCount = 100_000;
    expect(ema.update()).toBe(0.999);
    expect(() => {
      ema.updateCount = -1;
    }).toThrow(InvalidArgumentError);
    expect(() => new WeightEMA(variables, 1)).toThrow(/decay/);
    ema.dispose();
    for (const variable of variables.values()) variable.dispose();
  });
});
