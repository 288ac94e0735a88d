import { describe, expect, it } from 'vitest';
import { methodSpecs } from './methods.js';
import { DIFFUSION_COMPARISON_SETTINGS } from './settings.js';
import { WORK_RATES, WorkPlan, cellTaskKey, estimatedSeconds, planComparison, trainingEstimate } from './work-plan.js';

describe('WorkPlan', () => {
  it('gives the estimates before anything finished, then rescales them by the measured pace', () => {
    let ms = 0;
    const plan = new WorkPlan(
      [
        { key: 'a', estimateSeconds: 10 },
        { key: 'b', estimateSeconds: 30 },
      ],
      () => ms,
    );
    expect(plan.etaSeconds()).toBe(40);
    ms = 20_000; // 'a' took twice its estimate
    plan.finish('a');
    expect(plan.etaSeconds()).toBe(60);
    expect(plan.status()).toBe('1/2 tasks, 20s elapsed, ETA 1m00s');
    plan.finish('b');
    expect(plan.etaSeconds()).toBe(0);
  });

  it('rejects unknown and duplicate tasks', () => {
    expect(
      () =>
        new WorkPlan([
          { key: 'a', estimateSeconds: 1 },
          { key: 'a', estimateSeconds: 1 },
        ]),
    ).toThrow('planned twice');
    expect(() => new WorkPlan([]).finish('x')).toThrow('unknown task x');
  });
});

describe('planComparison', () => {
  it('lists the classifier, then pairs and every method per reward and seed', () => {
    const settings = DIFFUSION_COMPARISON_SETTINGS.full;
    const methods = methodSpecs(settings);
    const tasks = planComparison(settings, [0, 1, 2], methods);
    expect(tasks).toHaveLength(1 + settings.rewards.length * 3 * (1 + methods.length));
    expect(tasks[1]!.key).toBe(cellTaskKey('jpeg-compressibility', 0, 'pairs'));
    expect(tasks.at(-1)!.key).toBe(cellTaskKey('jpeg-incompressibility', 2, 'sft-losers'));
    expect(estimatedSeconds(tasks)).toBeGreaterThan(0);
  });

  it('estimates training from steps and rates', () => {
    const settings = { ...DIFFUSION_COMPARISON_SETTINGS.quick, trainSteps: 100, batchSize: 32 };
    expect(trainingEstimate('dpo', settings)).toBeCloseTo(100 * WORK_RATES.dpoStep16 * 2, 12);
    expect(trainingEstimate('ddpo', settings)).toBeCloseTo(
      settings.ddpoSteps * settings.ddpoSamplesPerStep * WORK_RATES.ddpoTrajectory,
      12,
    );
  });
});
