import { UnrecoverableError, Worker } from 'bullmq';
import { openEnvelope } from './job-envelope.js';
import type { JobKindRegistry } from './job-kind.js';
import { queueConnection, redactUrl } from './queue-connection.js';
import type { WorkerJobReturn } from './queue-producer.js';

/** Options of {@link runWorker}. */
export interface RunWorkerOptions {
  /** Redis URL, as the producer's (`redis://`, `rediss://` for TLS). */
  readonly url: string;
  /** The kinds this worker runs; a job of another kind fails with an error naming the kinds. */
  readonly kinds: JobKindRegistry;
  /** This worker's code version; jobs from another version are refused (not retried). */
  readonly codeVersion: string;
  /**
   * Jobs run at once in this process. Jobs here are CPU-bound on one thread (wasm), so run
   * one worker process per core rather than raising this. @defaultValue 1
   */
  readonly concurrency?: number;
  /** @defaultValue 'dpo-ts' */
  readonly queueName?: string;
  /** Lines about each job (start, done, refused) and the jobs' own lines. @defaultValue none */
  readonly log?: (line: string) => void;
  /** Stops the worker after its current jobs. */
  readonly signal?: AbortSignal;
  /**
   * How long a job's lock lasts without renewal, ms: a worker killed mid-job frees its job
   * after this long (the lock is renewed every half of it while the worker lives). @defaultValue 30000
   */
  readonly lockDuration?: number;
  /** How often workers look for stalled jobs (whose lock expired), ms. @defaultValue 30000 */
  readonly stalledInterval?: number;
  /** Times a job may stall (its worker died) before it fails for good. @defaultValue 2 */
  readonly maxStalledCount?: number;
}

/** A running worker. */
export interface RunningWorker {
  /** Stops taking jobs, waits for the current ones and disconnects. */
  close(): Promise<void>;
  /** Resolves once the worker is closed. */
  readonly closed: Promise<void>;
}

/**
 * Runs jobs from the queue until closed (or `signal` aborts). Each job's envelope is checked
 * first ({@link openEnvelope}): a malformed envelope, an unknown kind, an invalid payload or
 * another code version fail the job at once with BullMQ's UnrecoverableError (retrying cannot
 * help); an error thrown by the job itself is retried by the queue (`attempts`), and a job
 * whose worker died is taken over by another worker once its lock expires
 * (`maxStalledCount` times at most).
 */
export async function runWorker(options: RunWorkerOptions): Promise<RunningWorker> {
  const log = options.log ?? (() => {});
  const controller = new AbortController();
  const worker = new Worker(
    options.queueName ?? 'dpo-ts',
    async (job): Promise<WorkerJobReturn> => {
      let opened: ReturnType<typeof openEnvelope>;
      try {
        opened = openEnvelope(options.kinds, job.data, options.codeVersion);
      } catch (error) {
        log(`refused job ${job.id}: ${(error as Error).message}`);
        throw new UnrecoverableError((error as Error).message);
      }
      const { envelope, payload } = opened;
      const name = `${envelope.kind} ${envelope.key.slice(0, 12)}`;
      log(`start ${name} (attempt ${job.attemptsMade + 1})`);
      const started = performance.now();
      const result = await options.kinds.get(envelope.kind).run(payload, {
        key: envelope.key,
        log: (line) => log(`${name}: ${line}`),
        signal: controller.signal,
      });
      log(`done ${name} in ${((performance.now() - started) / 1000).toFixed(2)} s`);
      return { key: envelope.key, result: JSON.parse(JSON.stringify(result ?? null)) };
    },
    {
      connection: queueConnection(options.url),
      concurrency: options.concurrency ?? 1,
      lockDuration: options.lockDuration ?? 30_000,
      stalledInterval: options.stalledInterval ?? 30_000,
      maxStalledCount: options.maxStalledCount ?? 2,
    },
  );
  worker.on('error', (error) => log(`worker error: ${error.message}`));
  await worker.waitUntilReady();
  log(
    `worker ready on ${redactUrl(options.url)} (${options.kinds.names().join(', ')}), concurrency ${options.concurrency ?? 1}`,
  );
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await worker.close();
      controller.abort();
    })();
    return closing;
  };
  options.signal?.addEventListener('abort', () => void close(), { once: true });
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  worker.on('closed', () => resolveClosed());
  return { close, closed };
}
