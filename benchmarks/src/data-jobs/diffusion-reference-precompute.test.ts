import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Rng } from '@dpo-ts/core/training';
import { selectBackend } from '@dpo-ts/core/backend';
import {
  DiffusionDPOTrainer,
  MLPDenoiser,
  NoiseSchedule,
  loadDiffusionModel,
  loadImagePreferenceJsonl,
  saveDiffusionModel,
  writeImagePreferenceJsonl,
} from '@dpo-ts/diffusion';
import { JobKindRegistry } from '@dpo-ts/queue';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../cli.js';
import { diffusionReferenceKind, validateDiffusionReferencePayload } from './diffusion-reference-kind.js';
import { precomputeDiffusionReferenceScores } from './diffusion-reference-precompute.js';

const kinds = new JobKindRegistry([diffusionReferenceKind]);
const CONFIG = { precomputeRefLogProbs: true, precomputeRefBatchSize: 4, cfgDropProb: 0.3, seed: 5, totalSteps: 1 };
let dir: string;
let modelDir: string;
let trainFile: string;

describe('sharded Diffusion-DPO reference precompute (reference-scores/diffusion)', () => {
  beforeAll(async () => {
    await selectBackend({ backend: 'cpu', quiet: true });
    dir = await fs.mkdtemp(path.join(tmpdir(), 'dpo-ts-diffusion-jobs-'));
    modelDir = path.join(dir, 'reference');
    const model = new MLPDenoiser({
      imageShape: [4, 4, 1],
      numClasses: 3,
      hiddenSize: 16,
      numLayers: 1,
      timeEmbeddingDim: 8,
      zeroInitOutput: false,
      seed: 2,
    });
    const schedule = new NoiseSchedule({ numTimesteps: 100 });
    await saveDiffusionModel(modelDir, { kind: 'diffusion-sft', model, schedule, trainerConfig: {}, step: 0 });
    model.dispose();
    const rng = new Rng(9);
    const image = () => rng.uniform() * 2 - 1;
    trainFile = path.join(dir, 'pairs.jsonl');
    await writeImagePreferenceJsonl(trainFile, {
      chosen: Float32Array.from({ length: 11 * 16 }, image),
      rejected: Float32Array.from({ length: 11 * 16 }, image),
      labels: Int32Array.from({ length: 11 }, (_, i) => i % 3),
      count: 11,
      imageShape: [4, 4, 1],
    });
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it('fills the cache DiffusionDPOTrainer reads, with the scores it computes itself', async () => {
    const sharded = path.join(dir, 'sharded.json');
    const before = tf.memory().numTensors;
    const summary = await precomputeDiffusionReferenceScores({
      modelDir,
      trainFile,
      config: CONFIG,
      cacheFile: sharded,
      shardSize: 3,
      backend: 'cpu',
      kinds,
      codeVersion: 'test',
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(summary).toMatchObject({ computed: 11, reused: 0, shards: 4, status: 'new' });

    const { model, schedule } = await loadDiffusionModel(modelDir);
    const options = {
      model,
      schedule,
      trainDataset: await loadImagePreferenceJsonl(trainFile, [4, 4, 1], { numClasses: 3 }),
      config: CONFIG,
    };
    const own = path.join(dir, 'own.json');
    const trainer = await DiffusionDPOTrainer.create({ ...options, referenceCacheFile: own });
    expect(await trainer.precomputeReferenceScores()).toMatchObject({ computed: 11 });
    trainer.dispose();
    const entries = async (file: string) =>
      (JSON.parse(await fs.readFile(file, 'utf8')) as { entries: Record<string, [number, number]> }).entries;
    const [ours, theirs] = [await entries(sharded), await entries(own)];
    expect(Object.keys(ours)).toEqual(Object.keys(theirs));
    for (const [key, [chosen, rejected]] of Object.entries(theirs)) {
      expect(ours[key]![0]).toBeCloseTo(chosen, 5);
      expect(ours[key]![1]).toBeCloseTo(rejected, 5);
    }
    const reading = await DiffusionDPOTrainer.create({ ...options, referenceCacheFile: sharded });
    expect(reading.referenceCache?.status).toBe('loaded');
    expect(await reading.precomputeReferenceScores()).toMatchObject({ computed: 0, reused: 11 });
    reading.dispose();
    model.dispose();
  });

  it('refuses bad payloads naming the field', () => {
    const payload = {
      modelDir,
      segments: [{ split: 'train', file: trainFile, indices: [0] }],
      keys: ['train/0'],
      seed: 5,
      cfgDropProb: 0.3,
      scoreScale: 0.5,
      batchSize: 4,
      backend: 'cpu',
    };
    expect(validateDiffusionReferencePayload(payload)).toBe(payload);
    expect(() => validateDiffusionReferencePayload({ ...payload, cfgDropProb: 2 })).toThrow(
      'payload.cfgDropProb must be a finite number >= 0 and <= 1: got 2',
    );
    expect(() =>
      validateDiffusionReferencePayload({ ...payload, segments: [{ split: 'eval', file: trainFile, indices: [0] }] }),
    ).toThrow('payload.segments[0].split must be one of "train": got "eval"');
  });

  it('runs as `dpo-ts jobs diffusion-reference-scores` in-process, and a rerun has nothing to do', async () => {
    const cache = path.join(dir, 'cli.json');
    const config = path.join(dir, 'config.json');
    await fs.writeFile(config, JSON.stringify(CONFIG));
    const args = ['jobs', 'diffusion-reference-scores', '--model', modelDir, '--train', trainFile, '--config', config];
    const rest = [
      '--cache',
      cache,
      '--shard-size',
      '4',
      '--backend',
      'cpu',
      '--results',
      path.join(dir, 'cli-results'),
    ];
    const lines: string[] = [];
    await buildProgram([], (line) => lines.push(line)).parseAsync([...args, ...rest], { from: 'user' });
    expect(lines.at(-1)).toMatch(/^reference scores: 11 pairs computed in 3 shards, 0 reused \(cache new\)/);
    // The same scores as the call from code with the same config.
    const fromCode = path.join(dir, 'from-code.json');
    await precomputeDiffusionReferenceScores({
      modelDir,
      trainFile,
      config: CONFIG,
      cacheFile: fromCode,
      shardSize: 11,
      backend: 'cpu',
      kinds,
      codeVersion: 'test',
    });
    const entries = async (file: string) => JSON.parse(await fs.readFile(file, 'utf8')).entries;
    expect(await entries(cache)).toEqual(await entries(fromCode));
    await buildProgram([], (line) => lines.push(line)).parseAsync([...args, ...rest], { from: 'user' });
    expect(lines.at(-1)).toMatch(/^reference scores: 0 pairs computed in 0 shards, 11 reused \(cache loaded\)/);
  });
});
