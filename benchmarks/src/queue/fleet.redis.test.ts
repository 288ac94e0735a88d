import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '@dpo-ts/core/training';
import { ReferenceScoreCache } from '@dpo-ts/core/preference';
import { selectBackend } from '@dpo-ts/core/backend';
import { FileResultStore, JobKindRegistry, precomputeReferenceShards, runJobs } from '@dpo-ts/queue';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BenchmarkRecord } from '../harness/records.js';
import { runSuite } from '../harness/runner.js';
import { lossVariantsBenchmark } from '../loss-variants/index.js';
import {
  LOSS_VARIANTS_SUITE as SUITE,
  inProcessLossVariants,
  readLossVariantsRecord as readRecord,
} from './loss-variants-suite.test-helper.js';
import { benchmarkCodeVersion } from './code-version.js';
import { queueCellRunner } from './queue-cell-runner.js';
import { TABULAR_REFERENCE_KIND, scoreTabularReference, tabularReferenceKind } from './tabular-reference-kind.js';
import { FIXTURE_PROMPTS, writeLMFixture } from '../data-jobs/lm-fixture.test-helper.js';
import { precomputeLMReferenceScores } from '../data-jobs/lm-reference-precompute.js';
import { sampleLabeledPairs } from '../data-jobs/lm-sampling-jobs.js';
import { sampleLabeledImagePairs } from '../data-jobs/diffusion-pairs-jobs.js';
import { FIXTURE_CAPTIONS, writeImagePairsFixture } from '../data-jobs/image-pairs-fixture.test-helper.js';
import { type WorkerProcess, startWorker, testRedisUrl } from './worker-process.test-helper.js';
import { workerKinds } from './worker-kinds.js';

// Needs Redis and the built CLI: run with `npm run test:queue` (scripts/with-redis.mjs).
const url = testRedisUrl();
const codeVersion = benchmarkCodeVersion();
const DONE = /done bench-cell ([0-9a-f]{12})/;

describe('a fleet of dpo-ts worker processes on Redis', () => {
  let root: string;
  // The fleet of the first two tests: started once, while the in-process run computes the
  // record they are compared with (a worker takes seconds to start on a loaded machine).
  let fleetWorkers: WorkerProcess[] = [];
  let workers: WorkerProcess[] = [];
  let inProcess: BenchmarkRecord;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'dpo-ts-fleet-'));
    await selectBackend({ backend: 'cpu', quiet: true });
    [fleetWorkers, inProcess] = await Promise.all([
      Promise.all([startWorker(url), startWorker(url), startWorker(url)]),
      inProcessLossVariants(),
    ]);
  }, 180_000);
  afterEach(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    workers = [];
  }, 60_000);
  afterAll(async () => {
    await Promise.all(fleetWorkers.map((worker) => worker.stop()));
    rmSync(root, { recursive: true, force: true });
  }, 60_000);

  const runOnFleet = (name: string, log: (line: string) => void = () => {}) =>
    runSuite({
      ...SUITE,
      outDir: join(root, name),
      log,
      cellRunner: queueCellRunner({
        url,
        kinds: workerKinds([lossVariantsBenchmark]),
        codeVersion,
        store: new FileResultStore(join(root, name, 'job-results')),
        backend: 'cpu',
        pollMilliseconds: 250,
      }),
    });

  it('3 workers finish a benchmark and a sharded reference precompute exactly as one process does', async () => {
    const workers = fleetWorkers;
    const summary = await runOnFleet('fleet');
    expect(summary.ok).toBe(true);
    const fleet = readRecord(join(root, 'fleet'));
    expect(fleet.data).toEqual(inProcess.data);
    expect(fleet.tables).toEqual(inProcess.tables);
    expect(fleet.findings).toEqual(inProcess.findings);
    const done = workers.flatMap((worker) => worker.lines.filter((line) => DONE.test(line)));
    expect(done).toHaveLength(12);

    // Reference scores of 200 pairs: shards of 25 on the fleet vs one process, into core's cache.
    const rng = new Rng(11);
    const logits = Array.from({ length: 6 }, () => Array.from({ length: 5 }, () => rng.normal()));
    const pairs = { conditions: [] as number[], chosen: [] as number[], rejected: [] as number[] };
    for (let i = 0; i < 200; i += 1) {
      pairs.conditions.push(rng.int(6));
      pairs.chosen.push(rng.int(5));
      pairs.rejected.push(rng.int(5));
    }
    const keys = pairs.conditions.map((_, i) => `pair-${i}`);
    const precompute = async (file: string, queue: string | undefined) => {
      const cache = await ReferenceScoreCache.open(join(root, file), { reference: 'tabular-11', data: 'pairs-200' });
      return precomputeReferenceShards({
        keys,
        cache,
        shardSize: 25,
        kind: TABULAR_REFERENCE_KIND,
        kinds: workerKinds([lossVariantsBenchmark]),
        codeVersion,
        ...(queue === undefined ? {} : { url: queue, pollMilliseconds: 250 }),
        shardPayload: (shard) => ({
          logits,
          conditions: shard.indices.map((i) => pairs.conditions[i]!),
          chosen: shard.indices.map((i) => pairs.chosen[i]!),
          rejected: shard.indices.map((i) => pairs.rejected[i]!),
          backend: 'cpu',
        }),
      });
    };
    expect(await precompute('local.json', undefined)).toEqual({ computed: 200, reused: 0, shards: 8 });
    expect(await precompute('fleet.json', url)).toEqual({ computed: 200, reused: 0, shards: 8 });
    const local = JSON.parse(readFileSync(join(root, 'local.json'), 'utf8'));
    const fleetCache = JSON.parse(readFileSync(join(root, 'fleet.json'), 'utf8'));
    expect(fleetCache).toEqual(local);
    // And both equal one batch of all 200 pairs scored at once.
    const whole = await scoreTabularReference({ logits, ...pairs });
    expect(keys.map((key) => fleetCache.entries[key])).toEqual(whole);

    // The data jobs on the same workers: a sharded lm reference precompute into the cache file
    // DPOTrainer reads, and pair sampling + labelling by a reward model, each equal to in-process.
    const fixture = await writeLMFixture();
    const kinds = workerKinds([]);
    const onFleet = { url, pollMilliseconds: 250 };
    const lmPrecompute = (file: string, queue: typeof onFleet | object) =>
      precomputeLMReferenceScores({
        ...fixture,
        ...queue,
        config: { precomputeRefLogProbs: true, precomputeRefBatchSize: 2 },
        cacheFile: join(fixture.dir, file),
        shardSize: 3,
        backend: 'cpu',
        kinds,
        codeVersion,
      });
    expect(await lmPrecompute('lm-local.json', {})).toMatchObject({ computed: 16, shards: 6 });
    expect(await lmPrecompute('lm-fleet.json', onFleet)).toMatchObject({ computed: 16, shards: 6 });
    const read = (file: string) => JSON.parse(readFileSync(join(fixture.dir, file), 'utf8'));
    expect(read('lm-fleet.json')).toEqual(read('lm-local.json'));
    const sampling = {
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
    const localPairs = await sampleLabeledPairs(sampling);
    expect(localPairs.pairs.length).toBeGreaterThan(3);
    expect(await sampleLabeledPairs({ ...sampling, ...onFleet })).toEqual(localPairs);
    // Image pairs: a tiny saved text-to-image model, two images per caption labelled by the
    // committed style classifier, 3 shards on the fleet vs in-process (PNGs decoded: identical).
    const t2i = await writeImagePairsFixture();
    const imagePairs = {
      model: t2i.modelDir,
      captions: FIXTURE_CAPTIONS.slice(0, 3),
      seed: 5,
      sampler: { numSteps: 2, eta: 1, guidanceScale: 2, batchSize: 2 },
      labeler: { kind: 'style' } as const,
      backend: 'cpu' as const,
      shardSize: 1,
      kinds,
      codeVersion,
    };
    const localImages = await sampleLabeledImagePairs(imagePairs);
    expect(localImages.records).toHaveLength(3);
    expect(await sampleLabeledImagePairs({ ...imagePairs, ...onFleet })).toEqual(localImages);
    // Every shard ran on the fleet (at least once: a job whose lock a loaded worker could not
    // renew in time runs again elsewhere, BullMQ's at-least-once delivery), on several workers.
    for (const [kind, shards] of [
      ['reference-scores/lm', 6],
      ['pairs/lm', 6],
      ['pairs/diffusion', 3],
    ] as const) {
      const ran = workers.map((worker) =>
        worker.lines.flatMap((line) => line.match(new RegExp(`done ${kind} ([0-9a-f]{12})`))?.[1] ?? []),
      );
      expect(new Set(ran.flat()).size, `${kind}: ${ran.join('; ')}`).toBe(shards);
      expect(ran.filter((keys) => keys.length > 0).length).toBeGreaterThan(1);
    }
    rmSync(fixture.dir, { recursive: true, force: true });
    rmSync(t2i.dir, { recursive: true, force: true });
  });

  it('a worker killed with SIGKILL mid-job: its job is retried elsewhere, nothing lost or duplicated', async () => {
    // The first test's fleet, read from the lines it has written since.
    const since = fleetWorkers.map((worker) => worker.lines.length);
    const linesOf = (i: number) => fleetWorkers[i]!.lines.slice(since[i]);
    const victim = fleetWorkers[0]!;
    const run = runOnFleet('killed');
    const [, key] = await victim.waitFor(/start bench-cell ([0-9a-f]{12})/, 60_000, since[0]);
    victim.child.kill('SIGKILL');
    const summary = await run;
    expect(summary.ok, JSON.stringify(readRecord(join(root, 'killed')).error)).toBe(true);
    expect(linesOf(0).some((line) => line.includes(`done bench-cell ${key}`))).toBe(false);
    const survivors = [1, 2].flatMap(linesOf);
    const doneKeys = survivors.flatMap((line) => line.match(DONE)?.[1] ?? []);
    const victimDone = linesOf(0).flatMap((line) => line.match(DONE)?.[1] ?? []);
    // Every cell finished exactly once, the killed one by a survivor.
    expect(new Set([...doneKeys, ...victimDone]).size).toBe(12);
    expect(doneKeys.length + victimDone.length).toBe(12);
    expect(doneKeys).toContain(key);
    expect(readRecord(join(root, 'killed')).data).toEqual(inProcess.data);
  });

  it('a worker of another code version refuses the job, and the producer reports why', async () => {
    await Promise.all(fleetWorkers.map((worker) => worker.stop()));
    workers = [await startWorker(url, { DPO_TS_CODE_VERSION: 'someone-else@1' })];
    const outcomes = await runJobs({
      jobs: [
        {
          kind: TABULAR_REFERENCE_KIND,
          payload: { logits: [[0, 0]], conditions: [0], chosen: [0], rejected: [1], backend: 'cpu' },
        },
      ],
      kinds: new JobKindRegistry([tabularReferenceKind]),
      codeVersion,
      url,
      pollMilliseconds: 250,
    });
    expect(outcomes[0]).toMatchObject({ status: 'failed' });
    expect((outcomes[0] as { error: string }).error).toContain('but this worker runs "someone-else@1"');
    expect((outcomes[0] as { error: string }).error).toContain('after 1 attempt(s)');
  });
});
