import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '@dpo-ts/core/backend';
import { FileResultStore } from '@dpo-ts/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSuite } from '../harness/runner.js';
import { lossVariantsBenchmark } from '../loss-variants/index.js';
import {
  LOSS_VARIANTS_SUITE as SUITE,
  inProcessLossVariants,
  readLossVariantsRecord as readRecord,
} from './loss-variants-suite.test-helper.js';
import { benchmarkCodeVersion } from './code-version.js';
import { queueCellRunner } from './queue-cell-runner.js';
import { type TestRedis, startTestRedis } from './redis-server.test-helper.js';
import { type WorkerProcess, startWorker } from './worker-process.test-helper.js';
import { workerKinds } from './worker-kinds.js';

// Needs Debian's redis-server and the built CLI: run with `npm run test:queue`.
const storedKeys = (dir: string): string[] => {
  try {
    return readdirSync(dir).flatMap((prefix) => readdirSync(join(dir, prefix)).map((file) => file.slice(0, 12)));
  } catch {
    return [];
  }
};

describe('Redis restarting empty in the middle of a run', () => {
  let root: string;
  let redis: TestRedis;
  let workers: WorkerProcess[] = [];
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'dpo-ts-restart-'));
    redis = await startTestRedis();
    await selectBackend({ backend: 'cpu', quiet: true });
  });
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await redis.dispose();
    rmSync(root, { recursive: true, force: true });
  }, 60_000);

  it('loses no finished result: finished cells are not run again, the rest are re-added and the report matches', async () => {
    // The workers start (seconds each on a loaded machine) while the in-process run computes
    // (or is reused: the fleet test's, when both files run in one process).
    const [started, inProcess] = await Promise.all([
      Promise.all([startWorker(redis.url), startWorker(redis.url)]),
      inProcessLossVariants(),
    ]);
    workers = started;
    const results = join(root, 'fleet', 'job-results');
    const lines: string[] = [];
    const run = runSuite({
      ...SUITE,
      outDir: join(root, 'fleet'),
      log: (line) => lines.push(line),
      cellRunner: queueCellRunner({
        url: redis.url,
        kinds: workerKinds([lossVariantsBenchmark]),
        codeVersion: benchmarkCodeVersion(),
        store: new FileResultStore(results),
        backend: 'cpu',
        pollMilliseconds: 250,
      }),
    });
    while (storedKeys(results).length < 3) await new Promise((resolve) => setTimeout(resolve, 100));
    await redis.stop();
    const finishedBefore = storedKeys(results);
    const linesAtRestart = workers.map((worker) => worker.lines.length);
    await redis.start();
    const summary = await run;
    expect(summary.ok).toBe(true);
    expect(readRecord(join(root, 'fleet')).data).toEqual(inProcess.data);
    expect(lines.some((line) => line.includes('is not in the queue (Redis restarted?): adding it again'))).toBe(true);
    const startedAfter = workers.flatMap((worker, i) =>
      worker.lines.slice(linesAtRestart[i]).flatMap((line) => line.match(/start bench-cell ([0-9a-f]{12})/)?.[1] ?? []),
    );
    for (const key of finishedBefore) expect(startedAfter).not.toContain(key);
    expect(storedKeys(results)).toHaveLength(12);
  });
});
