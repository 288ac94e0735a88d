import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { selectBackend } from '@dpo-ts/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchmarkCodeVersion } from '../queue/code-version.js';
import { workerKinds } from '../queue/worker-kinds.js';
import { type WorkerProcess, startWorker, testRedisUrl } from '../queue/worker-process.test-helper.js';
import { FIXTURE_PROMPTS, type LMFixture, writeLMFixture } from './lm-fixture.test-helper.js';
import { precomputeLMReferenceScores } from './lm-reference-precompute.js';
import { sampleLabeledPairs } from './lm-sampling-jobs.js';

// Needs Redis and the built CLI: run with `npm run test:queue` (scripts/with-redis.mjs).
const url = testRedisUrl();
const codeVersion = benchmarkCodeVersion();
const kinds = workerKinds([]);
const CONFIG = { precomputeRefLogProbs: true, precomputeRefBatchSize: 2, perDeviceTrainBatchSize: 4, totalSteps: 1 };

describe('data jobs on a fleet of 3 dpo-ts worker processes', () => {
  let fixture: LMFixture;
  let workers: WorkerProcess[] = [];
  beforeAll(async () => {
    await selectBackend({ backend: 'cpu', quiet: true });
    fixture = await writeLMFixture();
    workers = await Promise.all([startWorker(url), startWorker(url), startWorker(url)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await fs.rm(fixture.dir, { recursive: true, force: true });
  }, 60_000);

  /** Per worker, the keys of the jobs of `kind` it finished. */
  const doneKeys = (kind: string): string[][] =>
    workers.map((worker) =>
      worker.lines.flatMap((line) => line.match(new RegExp(`done ${kind} ([0-9a-f]{12})`))?.[1] ?? []),
    );

  it('a sharded lm reference precompute writes the cache file one process writes', async () => {
    const precompute = (file: string, queue: string | undefined) =>
      precomputeLMReferenceScores({
        ...fixture,
        config: CONFIG,
        cacheFile: path.join(fixture.dir, file),
        shardSize: 3,
        backend: 'cpu',
        kinds,
        codeVersion,
        ...(queue === undefined ? {} : { url: queue, pollMilliseconds: 200 }),
      });
    expect(await precompute('local.json', undefined)).toMatchObject({ computed: 16, shards: 6 });
    expect(await precompute('fleet.json', url)).toMatchObject({ computed: 16, shards: 6 });
    const read = async (file: string) => JSON.parse(await fs.readFile(path.join(fixture.dir, file), 'utf8'));
    expect(await read('fleet.json')).toEqual(await read('local.json'));
    // Every shard ran (at least once: a job whose lock a loaded worker failed to renew in time
    // is run again elsewhere, BullMQ's at-least-once delivery), on more than one worker.
    const ran = doneKeys('reference-scores/lm');
    expect(new Set(ran.flat()).size, ran.join('; ')).toBe(6);
    expect(ran.filter((keys) => keys.length > 0).length).toBeGreaterThan(1);
  });

  it('pair sampling + labelling by a reward model gives the in-process pairs', async () => {
    const options = {
      modelDir: fixture.modelDir,
      prompts: FIXTURE_PROMPTS,
      samplesPerPrompt: 2,
      seed: 3,
      batchSize: 4,
      generation: { maxNewTokens: 6 },
      labeler: { kind: 'reward-model', dir: fixture.rewardDir } as const,
      backend: 'cpu' as const,
      shardSize: 2,
      kinds,
      codeVersion,
    };
    const local = await sampleLabeledPairs(options);
    const fleet = await sampleLabeledPairs({ ...options, url, pollMilliseconds: 200 });
    expect(local.pairs.length).toBeGreaterThan(3);
    expect(fleet).toEqual(local);
    const ran = doneKeys('pairs/lm');
    expect(new Set(ran.flat()).size, ran.join('; ')).toBe(6);
  });
});
