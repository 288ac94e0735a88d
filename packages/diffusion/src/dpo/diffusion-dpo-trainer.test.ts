import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  evalKey,
  METRIC_NAMES,
  PREFERENCE_LOSS_TYPES,
  computePreferenceLoss,
  createPreferenceLossState,
  resolvePreferenceLossConfig,
  type PreferenceLossType,
} from '@dpo-ts/core';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { cloneDenoiser } from '../denoiser-checkpoint.js';
import type { Denoiser } from '../denoiser.js';
import type { DiffusionPreferenceBatch } from './diffusion-preference-batch.js';
import { DiffusionDPOTrainer } from './diffusion-dpo-trainer.js';
import {
  independentError,
  perturbWeights,
  randomPairs,
  tinyDenoiser,
  tinySchedule,
} from './tiny-models.test-helper.js';

const schedule = tinySchedule();
const reference = tinyDenoiser(2);
const policy = cloneDenoiser(reference);
perturbWeights(policy, 9, 0.01);
const data = randomPairs(12, 5);
afterAll(() => {
  reference.dispose();
  policy.dispose();
});

/** Policy and reference errors of every pair of `batch`, computed with `independentError`. */
function independentErrors(batch: DiffusionPreferenceBatch, model: Denoiser): { chosen: number[]; rejected: number[] } {
  const side = (images: Float32Array): number[] =>
    Array.from({ length: batch.numPairs }, (_, i) =>
      independentError(
        model,
        schedule,
        images.subarray(i * 16, (i + 1) * 16),
        batch.noise.subarray(i * 16, (i + 1) * 16),
        batch.timesteps[i]!,
        batch.labels[i]!,
      ),
    );
  return { chosen: side(batch.chosen), rejected: side(batch.rejected) };
}

/** Core's loss fed with the independent errors: score = -0.5 * mse. */
function expectedLoss(batch: DiffusionPreferenceBatch, lossType: PreferenceLossType, beta: number): number {
  const p = independentErrors(batch, policy);
  const r = independentErrors(batch, reference);
  return tf.tidy(() => {
    const scores = (e: number[]) => tf.tensor1d(e.map((x) => -0.5 * x));
    const result = computePreferenceLoss(
      { chosen: scores(p.chosen), rejected: scores(p.rejected) },
      { chosen: scores(r.chosen), rejected: scores(r.rejected) },
      resolvePreferenceLossConfig({ lossType, beta }),
      createPreferenceLossState(),
    );
    return result.loss.dataSync()[0]!;
  });
}

describe('DiffusionDPOTrainer', () => {
  it('defaults beta to 5000 on score = -0.5 mse and validates its config', async () => {
    const trainer = await DiffusionDPOTrainer.create({
      model: policy,
      referenceModel: reference,
      schedule,
      trainDataset: data,
      config: { totalSteps: 1 },
    });
    expect(trainer.config.loss.beta).toBe(5000);
    expect(trainer.config.scoreScale).toBe(0.5);
    expect(trainer.config.cfgDropProb).toBe(policy.config.cfgDropProb);
    trainer.dispose();
    await expect(
      DiffusionDPOTrainer.create({
        model: policy,
        schedule,
        trainDataset: data,
        config: { totalSteps: 1, precomputeRefLogProbs: true, fixedNoise: false },
      }),
    ).rejects.toThrow('config.fixedNoise must be true (or unset) when precomputeRefLogProbs is true');
    await expect(
      DiffusionDPOTrainer.create({
        model: policy,
        schedule,
        trainDataset: { ...data, count: 13 },
        config: { totalSteps: 1 },
      }),
    ).rejects.toThrow('options.trainDataset.chosen');
  });

  it.each(PREFERENCE_LOSS_TYPES)(
    "%s: the loss equals core's loss fed with independently computed errors",
    async (lossType) => {
      const trainer = await DiffusionDPOTrainer.create({
        model: policy,
        referenceModel: reference,
        schedule,
        trainDataset: data,
        config: { totalSteps: 1, lossType, perDeviceTrainBatchSize: 6, cfgDropProb: 0.3, seed: 4 },
      });
      const batch = trainer.batchesForStep(0)[0]!;
      const metrics = await trainer.evaluate([batch]);
      expect(metrics[evalKey(METRIC_NAMES.loss)]).toBeCloseTo(expectedLoss(batch, lossType, 5000), 3);
      trainer.dispose();
    },
  );

  it('trainStep reports the pre-update loss, rewards/accuracies (the official implicit_acc), MSEs and per-bucket metrics, and moves the weights', async () => {
    const model = cloneDenoiser(policy);
    const trainer = await DiffusionDPOTrainer.create({
      model,
      referenceModel: reference,
      schedule,
      trainDataset: data,
      config: { totalSteps: 2, perDeviceTrainBatchSize: 12, learningRate: 1e-3, numTimestepBuckets: 4 },
    });
    const [batch] = trainer.batchesForStep(0);
    const p = independentErrors(batch!, policy);
    const r = independentErrors(batch!, reference);
    const margins = p.chosen.map((_, i) => 2500 * (r.chosen[i]! - p.chosen[i]! - (r.rejected[i]! - p.rejected[i]!)));
    const metrics = await expectNoLeak(() => trainer.trainStep(batch!, 0));
    expect(metrics[METRIC_NAMES.loss]).toBeCloseTo(expectedLoss(batch!, 'sigmoid', 5000), 3);
    expect(metrics).not.toHaveProperty('implicit_acc'); // TRL's name only
    expect(metrics[METRIC_NAMES.rewardsAccuracies]).toBeCloseTo(margins.filter((m) => m > 0).length / 12, 6);
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    expect(metrics[METRIC_NAMES.mseModelChosen]).toBeCloseTo(mean(p.chosen), 4);
    expect(metrics[METRIC_NAMES.mseModelRejected]).toBeCloseTo(mean(p.rejected), 4);
    expect(metrics[METRIC_NAMES.mseReferenceChosen]).toBeCloseTo(mean(r.chosen), 4);
    expect(metrics[METRIC_NAMES.mseReferenceRejected]).toBeCloseTo(mean(r.rejected), 4);
    for (let b = 0; b < 4; b++) {
      const label = trainer.buckets.labels[b]!;
      const inBucket = margins.filter((_, i) => Math.floor((batch!.timesteps[i]! * 4) / 100) === b);
      if (inBucket.length === 0) {
        expect(metrics[`rewards/accuracies/${label}`]).toBeUndefined();
        continue;
      }
      expect(metrics[`rewards/accuracies/${label}`]).toBeCloseTo(
        inBucket.filter((m) => m > 0).length / inBucket.length,
        6,
      );
      expect(metrics[`rewards/margins/${label}`]).toBeCloseTo(mean(inBucket), 1);
    }
    expect(metrics[METRIC_NAMES.epoch]).toBe(1);
    const before = policy.namedVariables().get('out.kernel')!.dataSync()[0];
    expect(model.namedVariables().get('out.kernel')!.dataSync()[0]).not.toBe(before);
    trainer.dispose();
    model.dispose();
  });

  it('evaluates held-out pairs with fixed draws and no label dropout, weighted by pairs', async () => {
    const evalDataset = randomPairs(10, 6);
    const trainer = await DiffusionDPOTrainer.create({
      model: policy,
      referenceModel: reference,
      schedule,
      trainDataset: data,
      evalDataset,
      config: { totalSteps: 1, cfgDropProb: 1, perDeviceEvalBatchSize: 4 },
    });
    const batches = trainer.evalBatches();
    expect(batches.map((b) => b.numPairs)).toEqual([4, 4, 2]);
    expect(batches.every((b) => Array.from(b.labels).every((l, i) => l === b.conditions[i]))).toBe(true);
    const first = await expectNoLeak(() => trainer.evaluate());
    const second = await trainer.evaluate();
    expect(second).toEqual(first);
    const all = batches.flatMap((b) => {
      const p = independentErrors(b, policy);
      const r = independentErrors(b, reference);
      return p.chosen.map((_, i) => 2500 * (r.chosen[i]! - p.chosen[i]! - (r.rejected[i]! - p.rejected[i]!)));
    });
    expect(first[evalKey(METRIC_NAMES.rewardsAccuracies)]).toBeCloseTo(all.filter((m) => m > 0).length / 10, 6);
    trainer.dispose();
  });

  it('refuses the policy as its own reference up front, leaving the policy trainable', async () => {
    const model = cloneDenoiser(policy);
    const trainable = (): boolean => [...model.namedVariables().values()].every((variable) => variable.trainable);
    for (const referenceFree of [false, true]) {
      const created = DiffusionDPOTrainer.create({
        model,
        referenceModel: model,
        schedule,
        trainDataset: data,
        config: { totalSteps: 1, referenceFree },
      });
      await expect(created).rejects.toThrow(InvalidArgumentError);
      await expect(created).rejects.toThrow(
        'options.referenceModel must be a separate denoiser (cloneDenoiser(model)), not the policy itself: got "the policy" (omit it for a frozen copy of the policy, or set config.referenceFree: true for no reference)',
      );
      expect(trainable()).toBe(true); // checked before freezing: the policy was not frozen
    }
    model.dispose();
  });

  it('trains reference-free without a reference model and without reference MSEs', async () => {
    const model = cloneDenoiser(policy);
    const trainer = await DiffusionDPOTrainer.create({
      model,
      schedule,
      trainDataset: data,
      config: { totalSteps: 1, referenceFree: true, beta: 1 },
    });
    expect(trainer.referenceModel).toBeUndefined();
    const metrics = await trainer.trainStep(trainer.batchesForStep(0), 0);
    expect(metrics[METRIC_NAMES.mseReferenceChosen]).toBeUndefined();
    expect(Number.isFinite(metrics[METRIC_NAMES.loss])).toBe(true);
    trainer.dispose();
    model.dispose();
  });

  it('resumes bit-identically from a checkpoint (fresh draws per epoch, accumulation)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'diffusion-dpo-resume-'));
    const config = {
      totalSteps: 4,
      perDeviceTrainBatchSize: 5,
      gradientAccumulationSteps: 2,
      learningRate: 1e-3,
      saveSteps: 2,
      cfgDropProb: 0.2,
    };
    try {
      const straight = cloneDenoiser(policy);
      const a = await DiffusionDPOTrainer.create({
        model: straight,
        referenceModel: reference,
        schedule,
        trainDataset: data,
        config,
      });
      const resultA = await a.train({ progress: false });
      const resumed = cloneDenoiser(policy);
      const controller = new AbortController();
      const b = await DiffusionDPOTrainer.create({
        model: resumed,
        referenceModel: reference,
        schedule,
        trainDataset: data,
        config,
      });
      await b.train({
        progress: false,
        checkpoint: { dir },
        signal: controller.signal,
        onLog: ({ step }) => step === 2 && controller.abort(),
      });
      b.dispose();
      const fresh = cloneDenoiser(policy);
      const c = await DiffusionDPOTrainer.create({
        model: fresh,
        referenceModel: reference,
        schedule,
        trainDataset: data,
        config,
      });
      const resultC = await c.train({ progress: false, checkpoint: { dir, resume: true } });
      expect(resultC.startStep).toBe(2);
      expect(resultC.history.at(-1)!.metrics[METRIC_NAMES.loss]).toBe(
        resultA.history.at(-1)!.metrics[METRIC_NAMES.loss],
      );
      for (const [name, variable] of straight.namedVariables()) {
        expect(Array.from(fresh.namedVariables().get(name)!.dataSync())).toEqual(Array.from(variable.dataSync()));
      }
      a.dispose();
      c.dispose();
      tf.dispose([straight, resumed, fresh].flatMap((m) => m.trainableVariables()));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
