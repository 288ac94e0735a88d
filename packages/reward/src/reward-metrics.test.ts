import * as tf from '@tensorflow/tfjs-core';
import { readMetrics } from '@dpo-ts/core';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { rewardMetricTensors } from './reward-metrics.js';

describe('rewardMetricTensors', () => {
  it('computes TRL RewardTrainer metrics; a tie is not a win', async () => {
    await expectNoLeak(async () => {
      const chosen = tf.tensor1d([2, 0, -1, 3]);
      const rejected = tf.tensor1d([1, 0, 1, -4]);
      const metrics = await readMetrics(rewardMetricTensors(chosen, rejected));
      // wins: 2 > 1, 3 > -4; tie 0 = 0 counts 0 -> 2 / 4
      expect(metrics.accuracy).toBeCloseTo(0.5, 6);
      // margins 1, 0, -2, 7 -> mean 1.5
      expect(metrics.margin).toBeCloseTo(1.5, 6);
      // all rewards 2, 0, -1, 3, 1, 0, 1, -4 -> mean 2 / 8
      expect(metrics.mean_reward).toBeCloseTo(0.25, 6);
      expect(metrics.min_reward).toBe(-4);
      expect(metrics.max_reward).toBe(3);
      tf.dispose([chosen, rejected]);
    });
  });
});
