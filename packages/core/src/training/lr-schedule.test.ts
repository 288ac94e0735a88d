import { describe, expect, it } from 'vitest';
import { createLRSchedule, resolveLRScheduleConfig } from './lr-schedule.js';

/** Relative comparison: the schedule values are products of a small lr and a multiplier. */
function expectLR(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-15 + 1e-12 * Math.abs(expected));
}

describe('createLRSchedule', () => {
  // Values below are transformers' lr_lambda formulas worked by hand for T = 10, W = 2.
  it('linear: warm-up from 0, peak at the end of warm-up, linear decay to 0', () => {
    const lr = 2e-4;
    const schedule = createLRSchedule({ learningRate: lr, totalSteps: 10, warmupSteps: 2 });
    expectLR(schedule(0), 0); // 0 / 2
    expectLR(schedule(1), lr * 0.5); // 1 / 2
    expectLR(schedule(2), lr); // (10 - 2) / 8
    expectLR(schedule(6), lr * 0.5); // (10 - 6) / 8
    expectLR(schedule(9), lr * 0.125); // last step: (10 - 9) / 8
    expectLR(schedule(10), 0);
    expectLR(schedule(12), 0); // clamped at 0
  });

  it('linear without warm-up starts at the peak (the default type)', () => {
    const schedule = createLRSchedule({ learningRate: 1e-3, totalSteps: 4 });
    expect([0, 1, 2, 3].map(schedule)).toEqual([1e-3, 0.75e-3, 0.5e-3, 0.25e-3]);
  });

  it('cosine: half a cosine from the peak to 0 after warm-up (num_cycles 0.5)', () => {
    const lr = 2e-4;
    const schedule = createLRSchedule({ learningRate: lr, totalSteps: 10, warmupSteps: 2, type: 'cosine' });
    expectLR(schedule(0), 0);
    expectLR(schedule(1), lr * 0.5);
    expectLR(schedule(2), lr); // progress 0: 0.5 * (1 + cos 0)
    expectLR(schedule(4), lr * 0.8535533905932737); // progress 1/4: 0.5 * (1 + cos(pi/4))
    expectLR(schedule(6), lr * 0.5); // progress 1/2: 0.5 * (1 + cos(pi/2))
    expectLR(schedule(9), lr * 0.03806023374435663); // progress 7/8: 0.5 * (1 + cos(7pi/8))
    expectLR(schedule(10), 0);
  });

  it('constant_with_warmup ramps then holds; constant ignores warm-up, as transformers', () => {
    const withWarmup = createLRSchedule({
      learningRate: 1,
      totalSteps: 10,
      warmupSteps: 4,
      type: 'constant_with_warmup',
    });
    expect([0, 1, 3, 4, 9].map(withWarmup)).toEqual([0, 0.25, 0.75, 1, 1]);
    const constant = createLRSchedule({ learningRate: 3e-5, totalSteps: 10, warmupSteps: 4, type: 'constant' });
    expect([0, 5, 9].map(constant)).toEqual([3e-5, 3e-5, 3e-5]);
  });

  it('resolves warmupRatio with ceil, and warmupSteps > 0 wins over it', () => {
    expect(resolveLRScheduleConfig({ learningRate: 1, totalSteps: 25, warmupRatio: 0.1 }).warmupSteps).toBe(3);
    expect(
      resolveLRScheduleConfig({ learningRate: 1, totalSteps: 25, warmupRatio: 0.1, warmupSteps: 5 }).warmupSteps,
    ).toBe(5);
    const schedule = createLRSchedule({ learningRate: 1, totalSteps: 25, warmupRatio: 0.1 });
    expectLR(schedule(1), 1 / 3);
    expectLR(schedule(3), 1);
  });

  it('rejects bad configurations with messages naming the argument', () => {
    expect(() => createLRSchedule({ learningRate: -1, totalSteps: 10 })).toThrow(
      'learningRate must be a finite number >= 0: got -1',
    );
    expect(() => createLRSchedule({ learningRate: 1, totalSteps: 0 })).toThrow(
      'totalSteps must be an integer >= 1: got 0',
    );
    expect(() => createLRSchedule({ learningRate: 1, totalSteps: 10, type: 'cosine_with_restarts' as never })).toThrow(
      'type must be one of "constant", "constant_with_warmup", "linear", "cosine"',
    );
    expect(() => createLRSchedule({ learningRate: 1, totalSteps: 10, warmupSteps: 11 })).toThrow(
      'warmupSteps must be an integer <= totalSteps (10): got 11',
    );
    expect(() => createLRSchedule({ learningRate: 1, totalSteps: 10 })(-1)).toThrow('step must be an integer >= 0');
  });
});
