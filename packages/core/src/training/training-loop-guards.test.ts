import { promises as fs } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { NonFiniteError } from '../errors/non-finite-error.js';
import { AdamWOptimizer } from './adamw-optimizer.js';
import { applyGradientStep } from './apply-gradient-step.js';
import {
  listCheckpoints,
  loadCheckpoint,
  saveCheckpoint,
  type CheckpointContent,
  type LoadedCheckpoint,
} from './checkpoint.js';
import { computeNamedGradients } from './named-gradients.js';
import { restoreWeights } from './restore-weights.js';
import { runTrainerLoop } from './train-options.js';
import { runTrainingLoop, type TrainingLoopOptions } from './training-loop.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'dpo-ts-guards-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let counter = 0;
const freshDir = (): string => path.join(scratch, `run-${counter++}`);

/**
 * Minimises (w0 - 1)^2 + (w2 - 3)^2 with AdamW through core's applyGradientStep (and its NaN
 * guard); w1 is not in the loss, so its gradient is exactly 0 whatever it holds.
 */
class QuadraticTrainer {
  readonly w = tf.variable(tf.zeros([3]), true, `guards-w-${Math.random()}`);
  readonly variables = new Map([['w', this.w]]);
  readonly optimizer = new AdamWOptimizer(this.variables, { weightDecay: 0 });
  /** Called inside step `i` before the update (to corrupt a weight). */
  beforeUpdate: (stepIndex: number) => void = () => {};

  step = async (stepIndex: number): Promise<{ loss: number; grad_norm: number }> => {
    this.beforeUpdate(stepIndex);
    const { value, grads } = computeNamedGradients(
      () => tf.sum(tf.square(tf.sub(tf.gather(this.w, [0, 2]), tf.tensor([1, 3])))) as tf.Scalar,
      this.variables,
    );
    try {
      const gradNorm = await applyGradientStep(this.optimizer, grads, { maxGradNorm: 1, learningRate: 0.1, stepIndex });
      return { loss: (await value.data())[0]!, grad_norm: gradNorm };
    } finally {
      tf.dispose([value, ...grads.values()]);
    }
  };

  save = async (): Promise<CheckpointContent> => ({
    weights: this.variables,
    optimizer: await this.optimizer.state(),
    metadata: { trainer: 'quadratic' },
  });
  restore = (checkpoint: LoadedCheckpoint): void => {
    restoreWeights(this.variables, checkpoint.weights);
    this.optimizer.loadState(checkpoint.optimizer!);
  };

  options(dir: string, extra: Partial<TrainingLoopOptions> = {}): TrainingLoopOptions {
    return {
      totalSteps: 6,
      step: this.step,
      progress: false,
      checkpoint: { dir, every: 2, save: this.save, restore: this.restore, trainer: 'quadratic' },
      ...extra,
    };
  }

  dispose(): void {
    this.optimizer.dispose();
    this.w.dispose();
  }
}

describe('training loop guards', () => {
  it('refuses unclear options, naming the option, the expectation and the value', async () => {
    const trainer = new QuadraticTrainer();
    const base = trainer.options(freshDir());
    const cases: [Partial<TrainingLoopOptions>, string][] = [
      [{ checkpoint: { ...base.checkpoint!, dir: '' } }, 'checkpoint.dir must be a non-empty path: got ""'],
      [{ resume: 'yes' as never }, 'resume must be true, false or "auto": got "yes"'],
      [{ signal: {} as never }, 'signal must be an AbortSignal (from new AbortController().signal): got {}'],
    ];
    for (const [extra, message] of cases) {
      await expect(runTrainingLoop({ ...base, ...extra })).rejects.toThrow(InvalidArgumentError);
      await expect(runTrainingLoop({ ...base, ...extra })).rejects.toThrow(message);
    }
    const parts = { totalSteps: 2, step: trainer.step, save: trainer.save, restore: trainer.restore, saveEvery: 1 };
    await expect(runTrainerLoop(parts, { checkpoint: { dir: '' } })).rejects.toThrow(
      'checkpoint.dir must be a non-empty path: got ""',
    );
    trainer.dispose();
  });

  it('stops at the step whose update left a non-finite weight, before any checkpoint of it is written', async () => {
    const dir = freshDir();
    const trainer = new QuadraticTrainer();
    trainer.beforeUpdate = (i) => {
      if (i === 4) tf.tidy(() => trainer.w.assign(tf.tensor([0.5, Infinity, 0.5]))); // e.g. an overflowing custom op
    };
    const run = runTrainingLoop(
      trainer.options(dir, { checkpoint: { ...trainer.options(dir).checkpoint!, every: 1 } }),
    );
    await expect(run).rejects.toThrow(NonFiniteError);
    await expect(run).rejects.toThrow(
      'variable "w" must be finite: got Infinity at step 4 (element 1, after the optimizer update; training stopped before saving)',
    );
    expect((await listCheckpoints(dir)).map((c) => c.step)).toEqual([1, 2, 3, 4]); // 4 steps completed; step index 4 never saved
    expect((await loadCheckpoint(dir)).step).toBe(4);
    await expect(fs.readFile(path.join(dir, 'writer.lock'))).rejects.toThrow('ENOENT'); // released on failure
    trainer.dispose();
  });

  it('never writes NaN weights to disk, even when asked to save them', async () => {
    const dir = freshDir();
    const good = tf.tensor([1, 2]);
    await saveCheckpoint(dir, { step: 1, weights: new Map([['w', good]]) });
    const bad = tf.tensor([1, NaN]);
    await expect(saveCheckpoint(dir, { step: 2, weights: new Map([['w', bad]]) })).rejects.toThrow(
      `tensor "weights/w" must be finite: got NaN at step 2 (element 1 is NaN; refusing to save checkpoint ${path.join(dir, 'step-000002')})`,
    );
    expect((await fs.readdir(dir)).sort()).toEqual(['latest', 'step-000001']);
    tf.dispose([good, bad]);
  });

  it('holds the directory while it runs: a second run there is refused, naming the holder', async () => {
    const dir = freshDir();
    const first = new QuadraticTrainer();
    const second = new QuadraticTrainer();
    let refusal: unknown;
    await runTrainingLoop({
      ...first.options(dir),
      step: async (i) => {
        if (i === 3)
          refusal = await runTrainingLoop(second.options(dir, { resume: 'auto' })).catch((error: unknown) => error);
        return first.step(i);
      },
    });
    expect(String(refusal)).toContain(
      `checkpoint directory ${dir} is in use by another training run: ${path.join(dir, 'writer.lock')} is held by pid ${process.pid}`,
    );
    const resumed = await runTrainingLoop(second.options(dir, { resume: 'auto', totalSteps: 7 }));
    expect(resumed.startStep).toBe(6);
    [first, second].forEach((t) => {
      t.dispose();
    });
  });

  it('resumes past a corrupt newest checkpoint and repairs crash leftovers, reporting each through onWarning', async () => {
    const dir = freshDir();
    const trainer = new QuadraticTrainer();
    await runTrainingLoop(trainer.options(dir, { totalSteps: 4 }));
    await fs.truncate(path.join(dir, 'step-000004', 'tensors.bin'), 7);
    await fs.mkdir(path.join(dir, '.step-000006-12345-0123abcd'));
    const warnings: string[] = [];
    const resumed = await runTrainingLoop(trainer.options(dir, { resume: 'auto', onWarning: (m) => warnings.push(m) }));
    expect(resumed.startStep).toBe(2);
    expect(resumed.warnings).toEqual(warnings);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toBe(
      `removed ${path.join(dir, '.step-000006-12345-0123abcd')}, an uncommitted temporary checkpoint`,
    );
    expect(warnings[1]).toContain(
      `skipped an unusable checkpoint: ${path.join(dir, 'step-000004', 'tensors.bin')}: truncated`,
    );
    expect(warnings[1]).toContain(`using ${path.join(dir, 'step-000002')}`);
    expect((await loadCheckpoint(dir)).step).toBe(6); // step 4 was rewritten by the resumed run
    trainer.dispose();
  });

  it("refuses to resume another trainer's checkpoint, naming both", async () => {
    const dir = freshDir();
    const trainer = new QuadraticTrainer();
    await runTrainingLoop(trainer.options(dir, { totalSteps: 2 }));
    const other = trainer.options(dir, { resume: 'auto' });
    const run = runTrainingLoop({ ...other, checkpoint: { ...other.checkpoint!, trainer: 'dpo' } });
    await expect(run).rejects.toThrow(
      `checkpoint ${path.join(dir, 'step-000002')} was written by the "quadratic" trainer; this is the "dpo" trainer, which cannot resume it`,
    );
    trainer.dispose();
  });

  it('refuses to resume a checkpoint of a model with another configuration, naming the field', async () => {
    const dir = freshDir();
    const trainer = new QuadraticTrainer();
    const withConfig = (
      modelConfig: Record<string, number> | undefined,
      extra: Partial<TrainingLoopOptions> = {},
    ): TrainingLoopOptions => {
      const options = trainer.options(dir, extra);
      return { ...options, checkpoint: { ...options.checkpoint!, ...(modelConfig ? { modelConfig } : {}) } };
    };
    await runTrainingLoop(withConfig(undefined, { totalSteps: 2 }));
    const warnings: string[] = [];
    await runTrainingLoop(
      withConfig(
        { nHead: 2, layerNormEpsilon: 1e-5 },
        { totalSteps: 4, resume: 'auto', onWarning: (m) => warnings.push(m) },
      ),
    );
    expect(warnings).toEqual([
      `checkpoint ${path.join(dir, 'step-000002')} records no model config: it could not be checked against this model's`,
    ]);
    await expect(
      runTrainingLoop(withConfig({ nHead: 4, layerNormEpsilon: 1e-5 }, { totalSteps: 6, resume: 'auto' })),
    ).rejects.toThrow(
      `checkpoint ${path.join(dir, 'step-000004')} was written for a different model: model.nHead is 2 in the checkpoint, 4 in this model`,
    );
    const resumed = await runTrainingLoop(
      withConfig({ nHead: 2, layerNormEpsilon: 1e-5 }, { totalSteps: 6, resume: 'auto' }),
    );
    expect(resumed).toMatchObject({ startStep: 4, warnings: [] });
    trainer.dispose();
  });
});
