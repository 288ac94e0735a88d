import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposePairScores, METRIC_NAMES } from '@dpo-ts/core';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { cloneDenoiser } from '../denoiser-checkpoint.js';
import { DiffusionDPOTrainer, type DiffusionDPOTrainerOptions } from './diffusion-dpo-trainer.js';
import { DiffusionPreferenceScorer } from './diffusion-preference-scorer.js';
import { perturbWeights, randomPairs, tinyDenoiser, tinySchedule } from './tiny-models.test-helper.js';

const schedule = tinySchedule();
const reference = tinyDenoiser(3);
const policy = cloneDenoiser(reference);
perturbWeights(policy, 11, 0.01);
const trainDataset = randomPairs(10, 7);
const evalDataset = randomPairs(6, 8);
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'diffusion-reference-cache-'));
});
afterAll(async () => {
  reference.dispose();
  policy.dispose();
  await rm(dir, { recursive: true, force: true });
});

function options(overrides: Partial<DiffusionDPOTrainerOptions> = {}, file = path.join(dir, 'scores.json')): DiffusionDPOTrainerOptions {
  return {
    model: policy,
    referenceModel: reference,
    schedule,
    trainDataset,
    evalDataset,
    referenceCacheFile: file,
    config: { totalSteps: 2, perDeviceTrainBatchSize: 4, perDeviceEvalBatchSize: 4, precomputeRefLogProbs: true, cfgDropProb: 0.3, seed: 5 },
    ...overrides,
  };
}

describe('Diffusion-DPO reference score cache', () => {
  it('misses, then hits across runs, with the scores the reference model gives for the fixed draws', async () => {
    const first = await DiffusionDPOTrainer.create(options());
    expect(first.referenceCache!.status).toBe('new');
    expect(await expectNoLeak(() => first.precomputeReferenceScores())).toMatchObject({ computed: 16, reused: 0 });
    const body = JSON.parse(await readFile(path.join(dir, 'scores.json'), 'utf8')) as { entries: Record<string, [number, number]> };
    expect(Object.keys(body.entries).sort()).toEqual([...Array.from({ length: 10 }, (_, i) => `train/${i}`), ...Array.from({ length: 6 }, (_, i) => `eval/${i}`)].sort());
    // The cached numbers are the reference scorer's on the same (t, eps, dropout) draws.
    const scorer = new DiffusionPreferenceScorer(reference, schedule);
    for (const batch of [...first.batchesForStep(0), ...first.evalBatches()]) {
      const scores = scorer.score(batch, { training: false });
      const [chosen, rejected] = [scores.chosen.dataSync(), scores.rejected.dataSync()];
      disposePairScores(scores);
      batch.keys.forEach((key, i) => {
        expect(body.entries[key]![0]).toBeCloseTo(chosen[i]!, 6);
        expect(body.entries[key]![1]).toBeCloseTo(rejected[i]!, 6);
      });
    }
    first.dispose();

    const second = await DiffusionDPOTrainer.create(options());
    expect(second.referenceCache!.status).toBe('loaded');
    expect(await second.precomputeReferenceScores()).toMatchObject({ computed: 0, reused: 16 });
    second.dispose();
  });

  it('gives the same training and evaluation metrics as a reference model with fixed draws', async () => {
    const cached = await DiffusionDPOTrainer.create(options());
    await cached.precomputeReferenceScores();
    const live = await DiffusionDPOTrainer.create({ ...options(), referenceCacheFile: undefined, config: { ...options().config, precomputeRefLogProbs: false, fixedNoise: true } });
    expect(live.preferenceTrainer.reference.kind).toBe('model');
    const [a, b] = [await cached.evaluate(), await live.evaluate()];
    for (const key of [METRIC_NAMES.loss, METRIC_NAMES.rewardsAccuracies, METRIC_NAMES.mseReferenceChosen, METRIC_NAMES.mseReferenceRejected, 'rewards/margins/t00-19']) {
      if (b[key] === undefined) continue;
      expect(a[key]).toBeCloseTo(b[key]!, 5);
    }
    expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
    cached.dispose();
    live.dispose();
  });

  it('scores pairs missing from the cache on the fly', async () => {
    const model = cloneDenoiser(policy);
    const lazy = await DiffusionDPOTrainer.create({ ...options({}, path.join(dir, 'lazy.json')), model });
    expect(lazy.referenceCache!.size).toBe(0);
    await lazy.trainStep(lazy.batchesForStep(0), 0);
    expect(lazy.referenceCache!.size).toBe(4);
    lazy.dispose();
    model.dispose();
  });

  it('is invalidated by other reference weights, another draw seed, or other data', async () => {
    const file = path.join(dir, 'invalidate.json');
    const base = await DiffusionDPOTrainer.create(options({}, file));
    await base.precomputeReferenceScores();
    base.dispose();
    const otherReference = cloneDenoiser(reference);
    perturbWeights(otherReference, 12, 1e-3);
    const cases: Partial<DiffusionDPOTrainerOptions>[] = [
      { referenceModel: otherReference },
      { config: { ...options().config, seed: 6 } },
      { config: { ...options().config, cfgDropProb: 0.1 } },
      { trainDataset: randomPairs(10, 70) },
      { evalDataset: randomPairs(6, 80) },
    ];
    for (const overrides of cases) {
      const trainer = await DiffusionDPOTrainer.create(options(overrides, file));
      expect(trainer.referenceCache!.status).toBe('invalidated');
      trainer.dispose();
    }
    const again = await DiffusionDPOTrainer.create(options({}, file));
    expect(again.referenceCache!.status).toBe('loaded');
    again.dispose();
    otherReference.dispose();
  });

  it('refuses a corrupt cache file and disposes the reference clone it made', async () => {
    const file = path.join(dir, 'corrupt.json');
    await writeFile(file, '{ not json');
    const before = tf.memory().numTensors;
    const { referenceModel: _given, ...withoutReference } = options({}, file);
    await expect(DiffusionDPOTrainer.create(withoutReference)).rejects.toThrow('reference score cache is not valid JSON');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a cache file without precomputeRefLogProbs', async () => {
    await expect(DiffusionDPOTrainer.create({ ...options(), config: { totalSteps: 1 } })).rejects.toThrow('options.referenceCacheFile must be given only with config.precomputeRefLogProbs: true');
  });
});
