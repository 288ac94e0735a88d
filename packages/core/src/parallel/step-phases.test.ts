import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createTinyMLPTask,
  tinyMLPBatches,
  tinyMLPTaskSpec,
  type TinyMLPTaskConfig,
} from '../testing/tiny-mlp-task.js';
import { AdamWOptimizer } from '../training/adamw-optimizer.js';
import { microBatchStep } from '../training/micro-batch-step.js';
import { GradientWorkerPool } from './gradient-worker-pool.js';
import { InProcessGradientEngine } from './in-process-gradient-engine.js';
import {
  phaseMetricsOf,
  STEP_PHASE_METRICS,
  STEP_PHASES_ENV,
  stepPhaseMetrics,
  stepPhasesEnabled,
} from './step-phases.js';

// Workers load dist/: the pool test needs `npm run build` of core first (CI builds before testing).
const config: TinyMLPTaskConfig = { inputSize: 4, hiddenSize: 6, outputSize: 2, seed: 3 };
const batches = tinyMLPBatches(config, 4, 5, 9);

const isDuration = (value: unknown) => typeof value === 'number' && Number.isFinite(value) && value >= 0;

describe('step phases', () => {
  afterEach(() => {
    delete process.env[STEP_PHASES_ENV];
  });

  it('are off unless DPO_TS_STEP_PHASES=1, and map to time/* metric keys', () => {
    expect(stepPhasesEnabled()).toBe(false);
    process.env[STEP_PHASES_ENV] = 'yes';
    expect(stepPhasesEnabled()).toBe(false);
    process.env[STEP_PHASES_ENV] = '1';
    expect(stepPhasesEnabled()).toBe(true);
    expect(stepPhaseMetrics({ compute: 0.5, apply: 0.25 })).toEqual({ 'time/compute': 0.5, 'time/apply': 0.25 });
    expect(phaseMetricsOf({ loss: 1, 'time/compute': 0.5, 'time/rollout': 2 })).toEqual({ 'time/compute': 0.5 });
  });

  it('are reported by an engine only when asked, without changing the gradients', async () => {
    const task = createTinyMLPTask(config);
    const engine = new InProcessGradientEngine(task);
    const plain = await engine.computeGradients(batches);
    const timed = await engine.computeGradients(batches, { phases: true });
    expect(plain.phases).toBeUndefined();
    expect(Object.keys(timed.phases!).sort()).toEqual(['compute', 'gradients', 'reduce']);
    expect(Object.values(timed.phases!).every(isDuration)).toBe(true);
    for (const [name, gradient] of plain.grads)
      expect(Array.from(timed.grads.get(name)!.dataSync())).toEqual(Array.from(gradient.dataSync()));
    tf.dispose([...plain.grads.values(), ...timed.grads.values()]);
    task.dispose!();
  });

  it("time every phase of a worker pool's step, and microBatchStep logs them as time/* metrics", async () => {
    process.env[STEP_PHASES_ENV] = '1';
    const task = createTinyMLPTask(config);
    const pool = await GradientWorkerPool.create<(typeof batches)[number]>({
      task: tinyMLPTaskSpec(config),
      parameters: task.namedVariables,
      workers: 2,
    });
    const optimizer = new AdamWOptimizer(task.namedVariables, { learningRate: 1e-3 });
    try {
      const { metrics } = await microBatchStep({
        optimizer,
        variables: task.namedVariables,
        lossAndMetrics: task.lossAndMetrics,
        engine: pool,
        microBatches: batches,
        reduction: 'mean',
        learningRate: 1e-3,
        maxGradNorm: 1,
        stepIndex: 0,
      });
      const expected = [
        'publish',
        'load',
        'compute',
        'copy',
        'idle',
        'wake',
        'imbalance',
        'reduce',
        'gradients',
        'apply',
      ] as const;
      for (const phase of expected) expect(isDuration(metrics[STEP_PHASE_METRICS[phase]])).toBe(true);
      // One worker finished last: it waited for no one, so the mean imbalance is under the largest one's half.
      expect(metrics[STEP_PHASE_METRICS.imbalance]!).toBeLessThanOrEqual(metrics[STEP_PHASE_METRICS.gradients]! / 2);
      expect(metrics[STEP_PHASE_METRICS.reference]).toBeUndefined(); // a preference trainer's phase
    } finally {
      optimizer.dispose();
      await pool.close();
      task.dispose!();
    }
  }, 60_000);
});
