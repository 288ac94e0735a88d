import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoLeak } from '../testing/expect-no-leak.js';
import { bucketMetrics, bucketStatistics, mergeBucketStatistics } from './bucketed-metrics.js';
import { MetricAccumulator } from './metric-accumulator.js';
import { METRIC_NAMES } from './metric-names.js';
import { preferenceMetricTensors, readMetrics } from './preference-metrics.js';

describe('METRIC_NAMES', () => {
  it('uses TRL spellings and has no duplicate keys', () => {
    expect(METRIC_NAMES.rewardsAccuracies).toBe('rewards/accuracies');
    expect(METRIC_NAMES.objectiveKl).toBe('objective/kl');
    const values = Object.values(METRIC_NAMES);
    expect(new Set(values).size).toBe(values.length);
  });
});

describe('preferenceMetricTensors', () => {
  it('computes TRL-named batch means; ties count as incorrect', async () => {
    await expectNoLeak(async () => {
      const chosenRewards = tf.tensor1d([0.3, -0.1, 0.2, 0.0]);
      const rejectedRewards = tf.tensor1d([0.1, 0.4, 0.2, -0.5]);
      const policyChosenScores = tf.tensor1d([-10, -12, -8, -9]);
      const policyRejectedScores = tf.tensor1d([-11, -10, -9, -20]);
      const metrics = await readMetrics(
        preferenceMetricTensors({ chosenRewards, rejectedRewards, policyChosenScores, policyRejectedScores }),
      );
      tf.dispose([chosenRewards, rejectedRewards, policyChosenScores, policyRejectedScores]);
      // Hand-computed: margins 0.2, -0.5, 0 (tie), 0.5 -> 2 of 4 strictly positive.
      expect(metrics['rewards/chosen']).toBeCloseTo(0.1, 6);
      expect(metrics['rewards/rejected']).toBeCloseTo(0.05, 6);
      expect(metrics['rewards/margins']).toBeCloseTo(0.05, 6);
      expect(metrics['rewards/accuracies']).toBe(0.5);
      expect(metrics['logps/chosen']).toBeCloseTo(-9.75, 5);
      expect(metrics['logps/rejected']).toBeCloseTo(-12.5, 5);
    });
  });

  it('reports accuracy 0 when the policy equals the reference (all margins 0)', async () => {
    const zeros = tf.zeros([3]) as tf.Tensor1D;
    const metrics = await readMetrics(
      preferenceMetricTensors({
        chosenRewards: zeros,
        rejectedRewards: zeros,
        policyChosenScores: zeros,
        policyRejectedScores: zeros,
      }),
    );
    zeros.dispose();
    expect(metrics['rewards/accuracies']).toBe(0);
  });

  it('rejects mismatched shapes naming the argument', () => {
    const a = tf.zeros([3]) as tf.Tensor1D;
    const b = tf.zeros([2]) as tf.Tensor1D;
    expect(() =>
      preferenceMetricTensors({ chosenRewards: a, rejectedRewards: b, policyChosenScores: a, policyRejectedScores: a }),
    ).toThrow('rejectedRewards must have shape [3]: got [2]');
    tf.dispose([a, b]);
  });
});

describe('bucketed metrics', () => {
  it('accumulates accuracy and margin per bucket and omits empty buckets', async () => {
    const margins = tf.tensor1d([1, -1, 2, 0, 3]);
    const first = await bucketStatistics(margins, [0, 0, 1, 1, 1], 3);
    margins.dispose();
    expect(first).toEqual({ counts: [2, 3, 0], correct: [1, 2, 0], marginSums: [0, 5, 0] });
    const merged = mergeBucketStatistics(first, { counts: [2, 0, 0], correct: [2, 0, 0], marginSums: [4, 0, 0] });
    expect(bucketMetrics(merged, ['t0', 't1', 't2'])).toEqual({
      'rewards/accuracies/t0': 0.75,
      'rewards/margins/t0': 1,
      'rewards/accuracies/t1': 2 / 3,
      'rewards/margins/t1': 5 / 3,
    });
  });

  it('rejects out-of-range bucket ids', async () => {
    const margins = tf.tensor1d([1]);
    await expect(bucketStatistics(margins, [3], 3)).rejects.toThrow('bucketIds[0] must be an integer in [0, 3): got 3');
    margins.dispose();
  });
});

describe('MetricAccumulator', () => {
  it('weights rows by batch size', () => {
    const acc = new MetricAccumulator();
    acc.add({ loss: 0.6, 'rewards/accuracies': 1 }, 32);
    acc.add({ loss: 0.4 }, 8);
    expect(acc.mean().loss).toBeCloseTo(0.56, 10);
    expect(acc.mean()['rewards/accuracies']).toBe(1);
    acc.reset();
    expect(acc.mean()).toEqual({});
  });
});
