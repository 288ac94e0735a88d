import { join } from 'node:path';
import type { BackendRequest } from '@dpo-ts/core/backend';
import { FileResultStore, queueConnection, redactUrl, runWorker } from '@dpo-ts/queue';
import type { Benchmark } from '../harness/benchmark.js';
import type { CellRunner } from '../harness/cells.js';
import { benchmarkCodeVersion } from './code-version.js';
import { queueCellRunner } from './queue-cell-runner.js';
import { workerKinds } from './worker-kinds.js';

/**
 * The cell runner of `dpo-ts bench --queue <url>`: cells become jobs on the queue, their results
 * are kept in `<out>/job-results` (so a rerun into the same folder resumes).
 * @throws InvalidArgumentError naming `--queue` for a URL that is not redis:// or rediss://.
 */
export function benchCellRunner(options: {
  readonly url: string;
  readonly out: string;
  readonly backend: BackendRequest;
  readonly benchmarks: readonly Benchmark[];
  readonly log: (line: string) => void;
}): CellRunner {
  queueConnection(options.url, '--queue');
  const codeVersion = benchmarkCodeVersion();
  options.log(`dpo-ts bench: cells go to ${redactUrl(options.url)} (code version ${codeVersion})`);
  return queueCellRunner({
    url: options.url,
    kinds: workerKinds(options.benchmarks),
    codeVersion,
    store: new FileResultStore(join(options.out, 'job-results')),
    backend: options.backend,
  });
}

/**
 * `dpo-ts worker`: runs benchmark cells and data jobs from the queue until SIGINT or SIGTERM,
 * then finishes its current jobs and exits.
 */
export async function runWorkerCommand(options: {
  readonly url: string;
  readonly concurrency: number;
  readonly benchmarks: readonly Benchmark[];
  readonly print: (line: string) => void;
  /** Lock and stalled-check intervals, ms (tests shorten them). @defaultValue 30000 each */
  readonly lockMilliseconds?: number;
}): Promise<void> {
  queueConnection(options.url, '--queue');
  const controller = new AbortController();
  const stop = () => {
    options.print('dpo-ts worker: stopping after the current jobs');
    controller.abort();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const worker = await runWorker({
    url: options.url,
    kinds: workerKinds(options.benchmarks),
    codeVersion: benchmarkCodeVersion(),
    concurrency: options.concurrency,
    log: (line) => options.print(`dpo-ts worker ${process.pid}: ${line}`),
    signal: controller.signal,
    ...(options.lockMilliseconds === undefined
      ? {}
      : { lockDuration: options.lockMilliseconds, stalledInterval: options.lockMilliseconds }),
  });
  await worker.closed;
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
}
