import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { selectBackend } from '@dpo-ts/core/backend';
import { DPOTrainer, loadLMPreferenceJsonl, loadLanguageModel } from '@dpo-ts/lm';
import { JobKindRegistry } from '@dpo-ts/queue';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LMFixture, writeLMFixture } from './lm-fixture.test-helper.js';
import { type LMReferencePayload, lmReferenceKind, validateLMReferencePayload } from './lm-reference-kind.js';
import { precomputeLMReferenceScores } from './lm-reference-precompute.js';

const kinds = new JobKindRegistry([lmReferenceKind]);
const CONFIG = { precomputeRefLogProbs: true, precomputeRefBatchSize: 4, perDeviceTrainBatchSize: 4, totalSteps: 1 };
let fixture: LMFixture;

/** The cache file's entries: key -> [chosen, rejected]. */
const entriesOf = async (file: string): Promise<Record<string, [number, number]>> =>
  (JSON.parse(await fs.readFile(file, 'utf8')) as { entries: Record<string, [number, number]> }).entries;

describe('sharded lm reference precompute (reference-scores/lm)', () => {
  beforeAll(async () => {
    await selectBackend({ backend: 'cpu', quiet: true });
    fixture = await writeLMFixture();
  });
  afterAll(() => fs.rm(fixture.dir, { recursive: true, force: true }));

  it("fills the cache DPOTrainer reads: same fingerprint and keys, the trainer's own scores", async () => {
    const sharded = path.join(fixture.dir, 'sharded.json');
    const before = tf.memory().numTensors;
    const summary = await precomputeLMReferenceScores({
      ...fixture,
      config: CONFIG,
      cacheFile: sharded,
      shardSize: 5,
      backend: 'cpu',
      kinds,
      codeVersion: 'test',
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(summary).toMatchObject({ computed: 16, reused: 0, shards: 4, status: 'new' });

    // The trainer fills its own cache from scratch, in its own batches...
    const own = path.join(fixture.dir, 'own.json');
    const { model, tokenizer } = await loadLanguageModel(fixture.modelDir);
    const options = {
      model,
      tokenizer,
      trainDataset: await loadLMPreferenceJsonl(fixture.trainFile),
      evalDataset: await loadLMPreferenceJsonl(fixture.evalFile),
      config: CONFIG,
    };
    const trainer = await DPOTrainer.create({ ...options, referenceCacheFile: own });
    expect(await trainer.precomputeReferenceScores()).toMatchObject({ computed: 16, reused: 0 });
    trainer.dispose();
    const [ours, theirs] = [await entriesOf(sharded), await entriesOf(own)];
    expect(Object.keys(ours)).toEqual(Object.keys(theirs));
    for (const [key, [chosen, rejected]] of Object.entries(theirs)) {
      expect(ours[key]![0]).toBeCloseTo(chosen, 5);
      expect(ours[key]![1]).toBeCloseTo(rejected, 5);
    }
    // ...and finds every pair in the sharded one: no reference forward pass.
    const reading = await DPOTrainer.create({ ...options, referenceCacheFile: sharded });
    expect(reading.referenceCache?.status).toBe('loaded');
    expect(await reading.precomputeReferenceScores()).toMatchObject({ computed: 0, reused: 16 });
    reading.dispose();
    model.dispose();

    // A rerun sends nothing; the file is unchanged.
    const again = await precomputeLMReferenceScores({
      ...fixture,
      config: CONFIG,
      cacheFile: sharded,
      shardSize: 3,
      backend: 'cpu',
      kinds,
      codeVersion: 'test',
    });
    expect(again).toMatchObject({ computed: 0, reused: 16, shards: 0, status: 'loaded' });
    expect(await entriesOf(sharded)).toEqual(ours);
  });

  it('refuses bad payloads naming the field, and data that differs on the worker', async () => {
    const payload: LMReferencePayload = {
      modelDir: fixture.modelDir,
      layout: { maxLength: 24, maxPromptLength: 12, maxCompletionLength: null, truncationMode: 'keep_end' },
      reduction: 'sum',
      segments: [{ split: 'train', file: fixture.trainFile, indices: [0, 1] }],
      keys: ['train:0:x', 'train:1:y'],
      batchSize: 2,
      backend: 'cpu',
    };
    expect(validateLMReferencePayload(payload)).toBe(payload);
    expect(() => validateLMReferencePayload({ ...payload, reduction: 'max' })).toThrow(
      'payload.reduction must be one of "sum", "mean": got "max"',
    );
    expect(() =>
      validateLMReferencePayload({ ...payload, segments: [{ split: 'train', file: 'f', indices: [0, -1] }] }),
    ).toThrow('payload.segments[0].indices[1] must be an integer >= 0: got -1');
    expect(() => validateLMReferencePayload({ ...payload, keys: ['a'] })).toThrow(
      'payload.keys.length must be one key per pair of the segments (2): got 1',
    );
    await expect(lmReferenceKind.run(payload, { key: 'k', log: () => {} })).rejects.toThrow(
      /train\.jsonl:1: .*differs from the producer's train:0:x/,
    );
  });
});
