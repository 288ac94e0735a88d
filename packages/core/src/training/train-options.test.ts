import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { expectNoLeak } from '../testing/expect-no-leak.js';
import { listCheckpoints } from './checkpoint.js';
import { restoreWeights } from './restore-weights.js';
import {
  evalPrefixed,
  runTrainerLoop,
  trainingArgumentsLoop,
  type TrainerLoopParts,
  type TrainLogEntry,
} from './train-options.js';
import { resolveTrainingArguments } from './training-arguments.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'dpo-ts-train-options-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Lines a progress reporter writes, captured. */
function capture(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { stream, lines };
}

/** A trainer whose only state is a counter variable that each step adds 1 to. */
function counterTrainer(): {
  parts: Omit<TrainerLoopParts, 'totalSteps'>;
  counter: tf.Variable;
  evaluations: number[];
} {
  const counter = tf.variable(tf.scalar(0), true, `train-options-counter-${Math.random()}`);
  const evaluations: number[] = [];
  const weights = new Map([['counter', counter]]);
  return {
    counter,
    evaluations,
    parts: {
      step: async (stepIndex) => {
        tf.tidy(() => counter.assign(tf.add(counter, 1)));
        return { loss: 1 / (stepIndex + 1) };
      },
      evaluate: async () => {
        evaluations.push((await counter.data())[0]!);
        return { loss: 0 };
      },
      save: async () => ({ weights }),
      restore: (checkpoint) => restoreWeights(weights, checkpoint.weights),
      requireOptimizerState: false, // a counter, no optimiser
    },
  };
}

describe('trainingArgumentsLoop', () => {
  it('reads the schedule from TrainingArguments: evalSteps, saveSteps, saveTotalLimit, loggingSteps', () => {
    const args = resolveTrainingArguments({
      totalSteps: 7,
      evalSteps: 3,
      saveSteps: 2,
      saveTotalLimit: 1,
      loggingSteps: 5,
    });
    expect(trainingArgumentsLoop(args, ['loss'])).toEqual({
      totalSteps: 7,
      evalEvery: 3,
      saveEvery: 2,
      keepLast: 1,
      progress: { everySteps: 5, metrics: ['loss'] },
    });
  });
});

describe('runTrainerLoop', () => {
  it('calls onLog after steps and evaluations (eval_ keys), evaluates and checkpoints on schedule, and uses the trainer progress unless given', async () => {
    const { parts, counter, evaluations } = counterTrainer();
    const dir = path.join(scratch, 'run');
    const { stream, lines } = capture();
    const entries: TrainLogEntry[] = [];
    const result = await expectNoLeak(() =>
      runTrainerLoop(
        {
          ...parts,
          totalSteps: 5,
          evalEvery: 2,
          saveEvery: 2,
          keepLast: 2,
          progress: { stream, everySteps: 1, metrics: ['loss'] },
        },
        { checkpoint: { dir }, onLog: (entry) => entries.push(entry) },
      ),
    );
    const steps = entries.filter((e) => e.split === 'train');
    expect(steps.map((e) => e.step)).toEqual([1, 2, 3, 4, 5]);
    expect(steps[3]!.metrics).toEqual({ loss: 0.25 });
    expect(entries.filter((e) => e.split === 'eval')).toEqual([
      { step: 2, split: 'eval', metrics: { eval_loss: 0 } },
      { step: 4, split: 'eval', metrics: { eval_loss: 0 } },
    ]);
    expect(evaluations).toEqual([2, 4]); // the counter after steps 2 and 4
    expect(result.evalHistory.map((e) => e.step)).toEqual([2, 4]);
    expect((await listCheckpoints(dir)).map((c) => c.step)).toEqual([4, 5]); // every 2, the end, the newest 2 kept
    expect(lines.filter((line) => line.startsWith('step ')).length).toBe(5); // the trainer's default: every step

    // Resuming restores the counter from step 5's checkpoint; the user's progress wins.
    tf.tidy(() => counter.assign(tf.scalar(-100)));
    const resumed = await runTrainerLoop(
      { ...parts, totalSteps: 6, saveEvery: 2, progress: { stream } },
      { checkpoint: { dir, resume: 'auto' }, progress: false },
    );
    expect(resumed.startStep).toBe(5);
    expect((await counter.data())[0]).toBe(6);
    expect(lines.filter((line) => line.includes('resumed'))).toEqual([]);
    counter.dispose();
  });

  it('neither evaluates without a period nor saves without a checkpoint directory', async () => {
    const { parts, counter, evaluations } = counterTrainer();
    const result = await runTrainerLoop({ ...parts, totalSteps: 3, saveEvery: 1 }, { progress: false });
    expect(evaluations).toEqual([]);
    expect(result.lastCheckpoint).toBeUndefined();
    counter.dispose();
  });

  it("takes the checkpoint period and count from the call over the trainer's, and 500 steps without either", async () => {
    const { parts, counter } = counterTrainer();
    const dir = path.join(scratch, 'scheduled');
    const result = await runTrainerLoop(
      { ...parts, totalSteps: 4, saveEvery: 1 },
      { checkpoint: { dir, every: 3, keepLast: 1 }, progress: false },
    );
    expect((await listCheckpoints(dir)).map((c) => c.step)).toEqual([4]);
    expect(result.completedSteps).toBe(4);
    const fallback = path.join(scratch, 'fallback');
    await runTrainerLoop({ ...parts, totalSteps: 2 }, { checkpoint: { dir: fallback }, progress: false });
    expect((await listCheckpoints(fallback)).map((c) => c.step)).toEqual([2]); // only the end of the run
    await expect(
      runTrainerLoop({ ...parts, totalSteps: 2 }, { checkpoint: { dir: fallback }, progress: false }),
    ).rejects.toThrow('already holds 1 checkpoint');
    counter.dispose();
  });
});

describe('evalPrefixed', () => {
  it("adds TRL's eval_ prefix once", () => {
    expect(evalPrefixed({ loss: 1, 'rewards/accuracies': 0.5, eval_loss: 2 })).toEqual({
      eval_loss: 2,
      'eval_rewards/accuracies': 0.5,
    });
  });
});
