import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoLeak } from '../testing/expect-no-leak.js';
import { resolveOptimizationConfig } from './optimization-config.js';
import { adamWFromConfig, lrScheduleFromConfig } from './optimizer-from-config.js';

describe('adamWFromConfig', () => {
  it("maps the config's Adam fields onto AdamW and takes one PyTorch AdamW step", async () => {
    const w = tf.variable(tf.tensor1d([1]), true, 'optimizer-from-config-w');
    const config = resolveOptimizationConfig({
      totalSteps: 1,
      learningRate: 0.1,
      weightDecay: 0.01,
      adamBeta1: 0.8,
      adamBeta2: 0.99,
      adamEpsilon: 1e-6,
    });
    await expectNoLeak(async () => {
      const optimizer = adamWFromConfig(new Map([['w', w]]), config);
      expect([
        optimizer.learningRate,
        optimizer.beta1,
        optimizer.beta2,
        optimizer.epsilon,
        optimizer.weightDecay,
      ]).toEqual([0.1, 0.8, 0.99, 1e-6, 0.01]);
      const grad = tf.tensor1d([0.5]);
      optimizer.applyGradients(new Map([['w', grad]]), 0.1);
      grad.dispose();
      // By hand, t = 1: w <- 1 * (1 - 0.1 * 0.01) = 0.999; m = 0.2 * 0.5 = 0.1, mhat = 0.1 / 0.2 = 0.5;
      // v = 0.01 * 0.25 = 0.0025, vhat = 0.0025 / 0.01 = 0.25; w <- 0.999 - 0.1 * 0.5 / (0.5 + 1e-6).
      expect((await w.data())[0]).toBeCloseTo(0.999 - 0.1 * (0.5 / (0.5 + 1e-6)), 6);
      optimizer.dispose();
    });
    w.dispose();
  });
});

describe('lrScheduleFromConfig', () => {
  it("uses the config's schedule type, warm-up and total steps", () => {
    // T = 10, warmupRatio 0.2 -> W = ceil(2) = 2; linear: step / W, then (T - step) / (T - W).
    const linear = lrScheduleFromConfig(
      resolveOptimizationConfig({ totalSteps: 10, learningRate: 1, warmupRatio: 0.2 }),
    );
    expect([0, 1, 2, 6, 9].map(linear)).toEqual([0, 0.5, 1, 0.5, 0.125]);
    const constant = lrScheduleFromConfig(
      resolveOptimizationConfig({ totalSteps: 10, learningRate: 3e-4, lrSchedule: 'constant', warmupSteps: 5 }),
    );
    expect([0, 9].map(constant)).toEqual([3e-4, 3e-4]); // transformers' 'constant' ignores warm-up
  });

  it('schedules over another count of optimiser steps, and without warmupRatio', () => {
    // DDPO: 4 updates per step over 2 steps = 8 updates; warm-up 4 updates, then constant.
    const schedule = lrScheduleFromConfig({
      learningRate: 2,
      totalSteps: 8,
      lrSchedule: 'constant_with_warmup',
      warmupSteps: 4,
    });
    expect([0, 2, 4, 7].map(schedule)).toEqual([0, 1, 2, 2]);
  });
});
