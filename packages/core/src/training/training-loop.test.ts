import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { DPOTSError } from '../errors/dpo-ts-error.js';
import { NonFiniteError } from '../errors/non-finite-error.js';
import { expectNoLeak } from '../testing/expect-no-leak.js';
import { AdamWOptimizer } from './adamw-optimizer.js';
import {
  findLatestCheckpoint,
  listCheckpoints,
  loadCheckpoint,
  type CheckpointContent,
  type LoadedCheckpoint,
} from './checkpoint.js';
import { clipGradNorm } from './clip-grad-norm.js';
import { createLRSchedule } from './lr-schedule.js';
import { computeNamedGradients } from './named-gradients.js';
import { restoreWeights } from './restore-weights.js';
import { Rng } from './rng.js';
import { runTrainingLoop, type StepMetrics, type TrainingLoopOptions } from './training-loop.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'dpo-ts-loop-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let counter = 0;
const freshDir = (): string => path.join(scratch, `run-${counter++}`);

const TOTAL_STEPS = 30;
const DATA_SIZE = 64;
const BATCH = 8;
const TRUE_W = [1, -2, 0.5];

/** y = x . [1, -2, 0.5] + 0.3 + noise/10, drawn once from a fixed seed. */
const dataRng = new Rng(2024);
const xs = Array.from({ length: DATA_SIZE }, () => [dataRng.normal(), dataRng.normal(), dataRng.normal()]);
const ys = xs.map((x) => x.reduce((sum, xi, i) => sum + xi * TRUE_W[i]!, 0.3) + 0.1 * dataRng.normal());

/**
 * A tiny trainer as a real one is written: minibatches drawn from a seeded Rng, gradients by
 * name, clipping, an lr schedule, AdamW; save/restore cover every piece of state.
 */
class LinearRegressionTrainer {
  readonly variables: Map<string, tf.Variable>;
  readonly optimizer: AdamWOptimizer;
  private rng = new Rng(7);
  private readonly schedule = createLRSchedule({ learningRate: 0.2, totalSteps: TOTAL_STEPS, warmupSteps: 2 });

  constructor(initSeed = 1) {
    const init = new Rng(initSeed);
    this.variables = new Map([
      ['linear.kernel', tf.variable(tf.tensor([init.normal(), init.normal(), init.normal()], [3, 1]))],
      ['linear.bias', tf.variable(tf.tensor([init.normal()]))],
    ]);
    this.optimizer = new AdamWOptimizer(this.variables, {
      weightDecay: 0.01,
      excludeFromWeightDecay: (name) => name.endsWith('.bias'),
    });
  }

  step = (stepIndex: number): StepMetrics => {
    const rows = Array.from({ length: BATCH }, () => this.rng.int(DATA_SIZE));
    const x = tf.tensor(
      rows.map((r) => xs[r]!),
      [BATCH, 3],
    );
    const y = tf.tensor(
      rows.map((r) => [ys[r]!]),
      [BATCH, 1],
    );
    const kernel = this.variables.get('linear.kernel')!;
    const bias = this.variables.get('linear.bias')!;
    const { value, grads } = computeNamedGradients(
      () => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, kernel), bias), y))) as tf.Scalar,
      this.variables,
    );
    const clipped = clipGradNorm(grads, 1);
    const learningRate = this.schedule(stepIndex);
    this.optimizer.applyGradients(clipped.grads, learningRate);
    const metrics = { loss: value.dataSync()[0]!, grad_norm: clipped.norm.dataSync()[0]!, learning_rate: learningRate };
    tf.dispose([x, y, value, ...grads.values(), ...clipped.grads.values(), clipped.norm]);
    return metrics;
  };

  save = async (): Promise<CheckpointContent> => ({
    weights: this.variables,
    optimizer: await this.optimizer.state(),
    rng: { data: this.rng.state() },
    metadata: { task: 'linear-regression' },
  });

  restore = (checkpoint: LoadedCheckpoint): void => {
    restoreWeights(this.variables, checkpoint.weights, { source: checkpoint.path });
    this.optimizer.loadState(checkpoint.optimizer!);
    this.rng = Rng.fromState(checkpoint.rng.data!);
  };

  /** Mean squared error over the whole data set, in float64. */
  fullDataLoss(): number {
    const [w0, w1, w2, b] = this.weights() as [number, number, number, number];
    return xs.reduce((sum, x, i) => sum + (x[0]! * w0 + x[1]! * w1 + x[2]! * w2 + b - ys[i]!) ** 2, 0) / DATA_SIZE;
  }

  weights(): number[] {
    return [...this.variables.values()].flatMap((v) => Array.from(v.dataSync()));
  }

  dispose(): void {
    this.optimizer.dispose();
    this.variables.forEach((v) => {
      v.dispose();
    });
  }
}

function loopOptions(
  trainer: LinearRegressionTrainer,
  dir: string,
  extra: Partial<TrainingLoopOptions> = {},
): TrainingLoopOptions {
  return {
    totalSteps: TOTAL_STEPS,
    step: trainer.step,
    checkpoint: { dir, every: 5, keepLast: 3, save: trainer.save, restore: trainer.restore },
    progress: false,
    ...extra,
  };
}

describe('runTrainingLoop', () => {
  it('trains a linear regression with AdamW: the loss falls, no tensor leaks, progress is printed', async () => {
    const trainer = new LinearRegressionTrainer();
    const initialLoss = trainer.fullDataLoss();
    const lines = new CaptureStream();
    const result = await expectNoLeak(() =>
      runTrainingLoop({
        totalSteps: TOTAL_STEPS,
        step: trainer.step,
        evaluate: (completed) => ({ 'eval/step': completed }),
        evalEvery: 10,
        progress: { stream: lines, everySteps: 10, metrics: ['loss', 'grad_norm'] },
      }),
    );
    expect(trainer.fullDataLoss()).toBeLessThan(0.1 * initialLoss);
    const losses = result.history.map((h) => h.metrics.loss!);
    const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean(losses.slice(-5))).toBeLessThan(0.2 * mean(losses.slice(0, 5)));
    expect(result.history.map((h) => h.step)).toEqual(Array.from({ length: TOTAL_STEPS }, (_, i) => i + 1));
    expect(result.evalHistory).toEqual([
      { step: 10, metrics: { 'eval/step': 10 } },
      { step: 20, metrics: { 'eval/step': 20 } },
      { step: 30, metrics: { 'eval/step': 30 } },
    ]);
    expect(result).toMatchObject({
      startStep: 0,
      completedSteps: TOTAL_STEPS,
      aborted: false,
      resumedFrom: undefined,
      lastCheckpoint: undefined,
    });
    expect(result.stepsPerSecond).toBeGreaterThan(0);
    const printed = lines.text
      .trimEnd()
      .split('\n')
      .map((l) => l.split(' | ')[0]);
    expect(printed).toEqual([
      'step 1/30 (3%)',
      'step 10/30 (33%)',
      'eval step 10/30',
      'step 20/30 (66%)',
      'eval step 20/30',
      'step 30/30 (100%)',
      'eval step 30/30',
    ]);
    trainer.dispose();
  });

  it('resumes bit-identically after an abort and after a crash', async () => {
    const reference = new LinearRegressionTrainer();
    const uninterrupted = await runTrainingLoop(loopOptions(reference, freshDir()));

    // Abort during step index 7: the step completes, a checkpoint of 8 steps is written.
    const dir = freshDir();
    const first = new LinearRegressionTrainer();
    const controller = new AbortController();
    const aborted = await runTrainingLoop(
      loopOptions(first, dir, {
        signal: controller.signal,
        step: (i) => {
          if (i === 7) controller.abort();
          return first.step(i);
        },
      }),
    );
    expect(aborted).toMatchObject({ aborted: true, completedSteps: 8, lastCheckpoint: path.join(dir, 'step-000008') });
    first.dispose();

    // Resume with a differently initialised model, then crash at step index 12 (13 steps done:
    // the checkpoint of step 10 is the latest).
    const second = new LinearRegressionTrainer(99);
    await expect(
      runTrainingLoop(
        loopOptions(second, dir, {
          resume: 'auto',
          step: (i) => {
            if (i === 12) throw new Error('power cut');
            return second.step(i);
          },
        }),
      ),
    ).rejects.toThrow('power cut');
    second.dispose();
    expect(await findLatestCheckpoint(dir)).toBe(path.join(dir, 'step-000010'));

    const third = new LinearRegressionTrainer(123);
    const resumed = await runTrainingLoop(loopOptions(third, dir, { resume: true }));
    expect(resumed).toMatchObject({
      startStep: 10,
      completedSteps: TOTAL_STEPS,
      resumedFrom: path.join(dir, 'step-000010'),
    });
    expect(third.weights()).toEqual(reference.weights()); // bit-identical
    expect(resumed.history).toEqual(uninterrupted.history.slice(10));
    expect((await listCheckpoints(dir)).map((c) => c.step)).toEqual([20, 25, 30]); // keepLast 3
    reference.dispose();
    third.dispose();
  });

  it('stops on a NaN loss with NonFiniteError and keeps the last good checkpoint', async () => {
    const dir = freshDir();
    const trainer = new LinearRegressionTrainer();
    const weightsAfter: number[][] = [];
    const run = runTrainingLoop(
      loopOptions(trainer, dir, {
        checkpoint: { dir, every: 3, save: trainer.save, restore: trainer.restore },
        step: (i) => {
          const metrics = trainer.step(i);
          weightsAfter.push(trainer.weights());
          return i === 7 ? { ...metrics, loss: NaN } : metrics;
        },
      }),
    );
    await expect(run).rejects.toThrow(NonFiniteError);
    await expect(run).rejects.toMatchObject({ quantity: 'loss', step: 7 });
    expect((await listCheckpoints(dir)).map((c) => c.step)).toEqual([3, 6]);
    const latest = await loadCheckpoint(dir);
    expect(latest.step).toBe(6);
    const saved = [...latest.weights.values()].flatMap((w) => Array.from(w.values));
    expect(saved).toEqual(weightsAfter[5]);
    trainer.dispose();
  });

  it('detects a step that leaks tensors, after the warm-up step', async () => {
    const leaked: tf.Tensor[] = [];
    const leaky = (): StepMetrics => {
      leaked.push(tf.scalar(1));
      return { loss: 1 };
    };
    const run = runTrainingLoop({ totalSteps: 5, step: leaky, progress: false });
    await expect(run).rejects.toThrow(DPOTSError);
    await expect(run).rejects.toThrow('step 1 leaked 1 tensor (tf.memory().numTensors');
    expect(leaked).toHaveLength(2);
    await runTrainingLoop({ totalSteps: 3, step: leaky, progress: false, checkTensorLeaks: false });
    tf.dispose(leaked);
  });

  it('refuses to mix runs in one directory and to resume from nothing', async () => {
    const dir = freshDir();
    const trainer = new LinearRegressionTrainer();
    await expect(runTrainingLoop(loopOptions(trainer, dir, { resume: true }))).rejects.toThrow(
      `resume: true, but ${dir} holds no checkpoint`,
    );
    await runTrainingLoop(loopOptions(trainer, dir, { totalSteps: 5 }));
    await expect(runTrainingLoop(loopOptions(trainer, dir))).rejects.toThrow('already holds 1 checkpoint(s)');
    const done = await runTrainingLoop(loopOptions(trainer, dir, { totalSteps: 5, resume: 'auto' }));
    expect(done).toMatchObject({ startStep: 5, completedSteps: 5, history: [] });
    await expect(runTrainingLoop({ totalSteps: 5, step: trainer.step, resume: true })).rejects.toThrow(
      'resume must be false or "auto" when no checkpoint options are given',
    );
    trainer.dispose();
  });
});

class CaptureStream extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}
