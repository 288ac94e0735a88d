#!/usr/bin/env node
// Loopback scaling of the job queue (docs/queue.md): run under scripts/with-redis.mjs after a build:
//   node scripts/with-redis.mjs node scripts/measure-queue-scaling.mjs
// For 1, 2 and 4 `dpo-ts worker` processes: the wall time of the loss-variants benchmark's 12
// quick cells, and of 200 one-pair reference jobs (almost no compute: the queue's overhead per job).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileResultStore, JobKindRegistry, runJobs } from '@dpo-ts/queue';
import { benchmarkCodeVersion } from '../benchmarks/dist/queue/code-version.js';
import { lossVariantsBenchmark } from '../benchmarks/dist/loss-variants/index.js';
import { queueCellRunner } from '../benchmarks/dist/queue/queue-cell-runner.js';
import { tabularReferenceKind } from '../benchmarks/dist/queue/tabular-reference-kind.js';
import { workerKinds } from '../benchmarks/dist/queue/worker-kinds.js';

// biome-ignore lint/suspicious/noUndeclaredEnvVars: set by scripts/with-redis.mjs, outside turbo.
const url = process.env.DPO_TS_TEST_REDIS_URL;
const codeVersion = benchmarkCodeVersion();
const cli = new URL('../benchmarks/dist/cli.js', import.meta.url).pathname;

async function startWorkers(count) {
  const workers = Array.from({ length: count }, () =>
    spawn(process.execPath, [cli, 'worker', '--queue', url], { stdio: ['ignore', 'pipe', 'inherit'] }),
  );
  await Promise.all(
    workers.map(
      (child) =>
        new Promise((resolve) => {
          let text = '';
          child.stdout.on('data', (chunk) => {
            text += chunk;
            if (text.includes('worker ready')) resolve();
          });
        }),
    ),
  );
  return workers;
}

const rows = [];
for (const count of [1, 2, 4]) {
  const workers = await startWorkers(count);
  const dir = mkdtempSync(join(tmpdir(), 'dpo-ts-scaling-'));
  try {
    const cells = lossVariantsBenchmark.plan({ mode: 'quick', seed: 0, seeds: [0, 1], log: () => {} });
    const runner = queueCellRunner({
      url,
      kinds: workerKinds([lossVariantsBenchmark]),
      codeVersion,
      store: new FileResultStore(join(dir, 'cells')),
      backend: 'cpu',
      pollMilliseconds: 250,
    });
    let start = performance.now();
    await runner(lossVariantsBenchmark, cells, { mode: 'quick', seed: 0, seeds: [0, 1], log: () => {} });
    const cellSeconds = (performance.now() - start) / 1000;
    const jobs = Array.from({ length: 200 }, (_, i) => ({
      kind: tabularReferenceKind.name,
      payload: { logits: [[0, i / 200]], conditions: [0], chosen: [1], rejected: [0], backend: 'cpu' },
    }));
    start = performance.now();
    await runJobs({
      jobs,
      kinds: new JobKindRegistry([tabularReferenceKind]),
      codeVersion,
      url,
      pollMilliseconds: 250,
    });
    const tinySeconds = (performance.now() - start) / 1000;
    rows.push({ workers: count, cellSeconds, perTinyJobMs: (tinySeconds * 1000) / jobs.length });
    console.log(JSON.stringify(rows.at(-1)));
  } finally {
    for (const child of workers) child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log('| worker processes | 12 loss-variants cells (s) | 200 one-pair jobs: ms per job |');
console.log('| --- | --- | --- |');
for (const row of rows)
  console.log(`| ${row.workers} | ${row.cellSeconds.toFixed(1)} | ${row.perTinyJobMs.toFixed(1)} |`);
