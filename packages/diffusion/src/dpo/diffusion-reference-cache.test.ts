import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC_NAMES } from '@dpo-ts/core';
import { disposePairScores } from '@dpo-ts/core/preference';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { cloneDenoiser } from '../denoiser-checkpoint.js';
import { NoiseSchedule } from '../noise-schedule.js';
import { UNet } from '../unet.js';
import { diffusionReferenceFingerprint } from './diffusion-reference-cache.js';
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

function options(
  overrides: Partial<DiffusionDPOTrainerOptions> = {},
  file = path.join(dir, 'scores.json'),
): DiffusionDPOTrainerOptions {
  return {
    model: policy,
    referenceModel: reference,
    schedule,
    trainDataset,
    evalDataset,
    referenceCacheFile: file,
    config: {
      totalSteps: 2,
      perDeviceTrainBatchSize: 4,
      perDeviceEvalBatchSize: 4,
      precomputeRefLogProbs: true,
      cfgDropProb: 0.3,
      seed: 5,
    },
    ...overrides,
  };
}

describe('Diffusion-DPO reference score cache', () => {
  it('misses, then hits across runs, with the scores the reference model gives for the fixed draws', async () => {
    const first = await DiffusionDPOTrainer.create(options());
    expect(first.referenceCache!.status).toBe('new');
    expect(await expectNoLeak(() => first.precomputeReferenceScores())).toMatchObject({ computed: 16, reused: 0 });
    const body = JSON.parse(await readFile(path.join(dir, 'scores.json'), 'utf8')) as {
      entries: Record<string, [number, number]>;
    };
    expect(Object.keys(body.entries).sort()).toEqual(
      [
        ...Array.from({ length: 10 }, (_, i) => `train/${i}`),
        ...Array.from({ length: 6 }, (_, i) => `eval/${i}`),
      ].sort(),
    );
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
    const live = await DiffusionDPOTrainer.create({
      ...options(),
      referenceCacheFile: undefined,
      config: { ...options().config, precomputeRefLogProbs: false, fixedNoise: true },
    });
    expect(live.preferenceTrainer.reference.kind).toBe('model');
    const [a, b] = [await cached.evaluate(), await live.evaluate()];
    for (const key of [
      METRIC_NAMES.loss,
      METRIC_NAMES.rewardsAccuracies,
      METRIC_NAMES.mseReferenceChosen,
      METRIC_NAMES.mseReferenceRejected,
      'rewards/margins/t00-19',
    ]) {
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

  it('covers the architecture: UNet groups change the scores but not the weights, and miss the cache', async () => {
    const unet = (groups: number) =>
      new UNet({
        imageShape: [4, 4, 1],
        numClasses: 3,
        baseChannels: 8,
        channelMultipliers: [1],
        groups,
        zeroInit: false,
        seed: 1,
      });
    const [two, four] = [unet(2), unet(4)];
    const key = { schedule, trainDataset, seed: 5, cfgDropProb: 0.3, scoreScale: 1 };
    const [a, b] = [
      await diffusionReferenceFingerprint({ ...key, reference: two }),
      await diffusionReferenceFingerprint({ ...key, reference: four }),
    ];
    expect(Object.keys(a).filter((name) => a[name] !== b[name])).toEqual(['model']);
    const live = await DiffusionDPOTrainer.create({
      ...options({ referenceModel: four }),
      referenceCacheFile: undefined,
    });
    const batch = live.batchesForStep(0)[0]!;
    live.dispose();
    const score = (model: UNet) =>
      tf.tidy(
        () => new DiffusionPreferenceScorer(model, schedule).score(batch, { training: false }).chosen.dataSync()[0]!,
      );
    expect(Math.abs(score(two) - score(four))).toBeGreaterThan(1e-4);
    // Through the trainer: a cache computed with 2 groups is not reused for 4.
    const file = path.join(dir, 'groups.json');
    const first = await DiffusionDPOTrainer.create(options({ referenceModel: two }, file));
    await first.precomputeReferenceScores();
    const second = await DiffusionDPOTrainer.create(options({ referenceModel: four }, file));
    expect([second.referenceCache!.status, second.referenceCache!.invalidation]).toEqual([
      'invalidated',
      'fingerprint parts that differ: model',
    ]);
    [first, second].forEach((trainer) => {
      trainer.dispose();
    });
    [two, four].forEach((model) => {
      model.dispose();
    });
  });

  it('detects a cached value edited by hand', async () => {
    const file = path.join(dir, 'edited.json');
    const first = await DiffusionDPOTrainer.create(options({}, file));
    await first.precomputeReferenceScores();
    first.dispose();
    const body = JSON.parse(await readFile(file, 'utf8')) as { entries: Record<string, [number, number]> };
    body.entries['train/3']![1] += 0.5;
    await writeFile(file, JSON.stringify(body));
    await expect(DiffusionDPOTrainer.create(options({}, file))).rejects.toThrow(/entries do not match their checksum/);
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
      { config: { ...options().config, scoreScale: 2 } },
      { schedule: new NoiseSchedule({ numTimesteps: 100, betaEnd: 0.03 }) },
      { schedule: new NoiseSchedule({ numTimesteps: 100, type: 'cosine' }) },
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
    await expect(DiffusionDPOTrainer.create(withoutReference)).rejects.toThrow(
      'reference score cache is not valid JSON',
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a directory or a path in a missing directory before scoring, disposing the clone it made', async () => {
    const { referenceModel: _given, ...withoutReference } = options();
    for (const [file, reason] of [
      [dir, 'it is a directory'],
      [path.join(dir, 'missing', 'scores.json'), `directory ${path.join(dir, 'missing')} does not exist`],
    ]) {
      const before = tf.memory().numTensors;
      await expect(DiffusionDPOTrainer.create({ ...withoutReference, referenceCacheFile: file })).rejects.toThrow(
        `options.referenceCacheFile must be a writable file path in an existing directory: got ${JSON.stringify(file)} (${reason})`,
      );
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('refuses a cache file without precomputeRefLogProbs', async () => {
    await expect(DiffusionDPOTrainer.create({ ...options(), config: { totalSteps: 1 } })).rejects.toThrow(
      'options.referenceCacheFile must be given only with config.precomputeRefLogProbs: true',
    );
  });
});
