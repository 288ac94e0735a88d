import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { evalKey, InvalidArgumentError, METRIC_NAMES } from '@dpo-ts/core';
import { NoiseSchedule } from '../noise-schedule.js';
import { LatentDiffusionDPOTrainer } from './latent-diffusion-dpo-trainer.js';
import { disposeTiny, randomLatentPairs, tinyTextToImage } from './tiny-text-to-image.test-helper.js';

const schedule = new NoiseSchedule({ numTimesteps: 100 });
const model = tinyTextToImage(5);
const trainDataset = randomLatentPairs(8, 21);
const evalDataset = randomLatentPairs(4, 22);
afterAll(() => disposeTiny(model));

const snapshot = (variables: ReadonlyMap<string, tf.Variable>): Map<string, Float32Array> =>
  new Map([...variables].map(([name, v]) => [name, v.dataSync().slice() as Float32Array]));

describe('LatentDiffusionDPOTrainer', () => {
  it('starts at loss log 2 against its own copy, then raises implicit accuracy on its pairs; the text encoder stays frozen', async () => {
    const trainer = await LatentDiffusionDPOTrainer.create({
      model,
      schedule,
      trainDataset,
      evalDataset,
      config: {
        totalSteps: 30,
        beta: 500,
        learningRate: 3e-3,
        perDeviceTrainBatchSize: 8,
        numTimestepBuckets: 2,
        fixedNoise: true,
        cfgDropProb: 0,
      },
    });
    const encoderBefore = snapshot(model.encoder.namedVariables());
    const denoiserBefore = snapshot(model.denoiser.namedVariables());
    const tensorsBefore = tf.memory().numTensors;
    const first = await trainer.trainStep(trainer.batchesForStep(0), 0);
    expect(first[METRIC_NAMES.loss]).toBeCloseTo(Math.log(2), 6);
    expect(first['rewards/accuracies/t00-49']).toBeDefined();
    expect(first[METRIC_NAMES.mseReferenceChosen]).toBeCloseTo(first[METRIC_NAMES.mseModelChosen]!, 6);
    let last = first;
    for (let step = 1; step < 30; step++) last = await trainer.trainStep(trainer.batchesForStep(step), step);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(last[METRIC_NAMES.loss]).toBeLessThan(0.6);
    expect(last[METRIC_NAMES.rewardsAccuracies]).toBeGreaterThan(0.8);
    for (const [name, v] of model.encoder.namedVariables()) expect(v.dataSync()).toEqual(encoderBefore.get(name));
    const moved = [...model.denoiser.namedVariables()].filter(([name, v]) =>
      v.dataSync().some((x, i) => x !== denoiserBefore.get(name)![i]),
    );
    expect(moved.length).toBeGreaterThan(0);
    const evaluation = await trainer.evaluate();
    expect(Number.isFinite(evaluation[evalKey(METRIC_NAMES.loss)]!)).toBe(true);
    expect(evaluation[evalKey(METRIC_NAMES.mseModelRejected)]).toBeGreaterThan(0);
    // Undo the training so later tests start from the same model.
    for (const [name, v] of model.denoiser.namedVariables()) v.assign(tf.tensor(denoiserBefore.get(name)!, v.shape));
    trainer.dispose();
  });

  it('with trainTextEncoder, the text encoder moves too; precomputed reference scores match the live reference', async () => {
    const copy = model.clone();
    try {
      const live = await LatentDiffusionDPOTrainer.create({
        model: copy,
        schedule,
        trainDataset,
        config: { totalSteps: 2, beta: 500, learningRate: 1e-2, fixedNoise: true, cfgDropProb: 0.3 },
        trainTextEncoder: true,
      });
      const cached = await LatentDiffusionDPOTrainer.create({
        model: copy,
        schedule,
        trainDataset,
        config: { totalSteps: 2, beta: 500, learningRate: 1e-2, precomputeRefLogProbs: true, cfgDropProb: 0.3 },
      });
      const batches = live.batchesForStep(0);
      const liveMetrics = await live.evaluate(batches);
      await cached.precomputeReferenceScores();
      const cachedMetrics = await cached.evaluate(batches);
      expect(cachedMetrics[evalKey(METRIC_NAMES.loss)]).toBeCloseTo(liveMetrics[evalKey(METRIC_NAMES.loss)]!, 6);
      const before = snapshot(copy.encoder.namedVariables());
      await live.trainStep(batches, 0);
      const changed = [...copy.encoder.namedVariables()].some(([name, v]) =>
        v.dataSync().some((x, i) => x !== before.get(name)![i]),
      );
      expect(changed).toBe(true);
      live.dispose();
      cached.dispose();
    } finally {
      copy.dispose();
    }
  });

  it('refuses data of another latent shape or caption length, and the policy as its own reference', async () => {
    await expect(
      LatentDiffusionDPOTrainer.create({
        model,
        schedule,
        trainDataset: { ...trainDataset, maxLength: 5 },
        config: { totalSteps: 1 },
      }),
    ).rejects.toThrow(/options.trainDataset.maxLength/);
    await expect(
      LatentDiffusionDPOTrainer.create({
        model,
        schedule,
        trainDataset: { ...trainDataset, latentShape: [4, 4, 2] },
        config: { totalSteps: 1 },
      }),
    ).rejects.toThrow(InvalidArgumentError);
    await expect(
      LatentDiffusionDPOTrainer.create({
        model,
        referenceModel: model,
        schedule,
        trainDataset,
        config: { totalSteps: 1 },
      }),
    ).rejects.toThrow(/options.referenceModel/);
  });
});
