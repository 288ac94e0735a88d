import { InvalidArgumentError } from '@dpo-ts/core';
import { type JobEnvelope, makeEnvelope } from './job-envelope.js';
import type { JobOutcome } from './job-outcome.js';
import type { JobKindRegistry } from './job-kind.js';
import { type JobProgress, JobProgressTracker } from './job-progress.js';
import { runOnQueue } from './queue-producer.js';
import { InMemoryResultStore, type JobResultStore } from './result-store.js';

/** One job to run. */
export interface JobRequest {
  /** A kind registered in {@link RunJobsOptions.kinds}. */
  readonly kind: string;
  /** JSON payload; validated by the kind before anything is enqueued. */
  readonly payload: unknown;
  /** Estimated seconds, to weight the ETA. @defaultValue 1 */
  readonly estimateSeconds?: number;
}

/** Options of {@link runJobs}. */
export interface RunJobsOptions {
  /** The jobs, in the order of the returned outcomes; identical jobs (same key) run once. */
  readonly jobs: readonly JobRequest[];
  /** The kinds the jobs use (the workers must register the same). */
  readonly kinds: JobKindRegistry;
  /** The producer's code version ({@link detectCodeVersion}); part of every job's key. */
  readonly codeVersion: string;
  /**
   * Redis URL (`redis://[:password@]host:port[/db]`, `rediss://` for TLS): the jobs go to the
   * queue and any number of `runWorker` processes run them. Undefined: everything runs here,
   * in order (the default, and today's behaviour).
   */
  readonly url?: string;
  /** Where results are kept by key; a stored result is not computed again. @defaultValue in memory */
  readonly store?: JobResultStore;
  /** Fleet-wide progress after every finished job. */
  readonly onProgress?: (progress: JobProgress) => void;
  /** Lines about the run (the in-process jobs' own lines too). @defaultValue none */
  readonly log?: (line: string) => void;
  /**
   * Stops the run: checked before each in-process job (and passed to it) and at each queue
   * sweep; `runJobs` then throws, and queued jobs stay in the queue. @defaultValue none
   */
  readonly signal?: AbortSignal;
  /** Queue name shared by producer and workers. @defaultValue 'dpo-ts' */
  readonly queueName?: string;
  /** Runs of a job that throws before it fails for good (queue only). @defaultValue 3 */
  readonly attempts?: number;
  /** How often the producer sweeps the queue for finished or lost jobs, ms. @defaultValue 1000 */
  readonly pollMilliseconds?: number;
}

/**
 * Runs jobs and returns their outcomes in the order given. Each job's result is keyed by
 * {@link jobKey} (kind + payload + code version): one stored in `store` is reused, identical
 * jobs run once, and every new result is stored as it arrives, so a rerun resumes.
 *
 * Without `url` the jobs run here one after another; with `url` they are enqueued on BullMQ
 * (job id = key, so a job already queued by an earlier, interrupted producer is not added
 * twice) and this process waits for the workers, re-adding any job Redis lost (a restart
 * without persistence).
 *
 * @throws InvalidArgumentError naming the job whose kind is unknown or payload is invalid
 *   (before any job runs).
 */
export async function runJobs(options: RunJobsOptions): Promise<JobOutcome[]> {
  const store = options.store ?? new InMemoryResultStore();
  const envelopes: JobEnvelope[] = options.jobs.map((job, i) => {
    try {
      return makeEnvelope(options.kinds, job.kind, job.payload, options.codeVersion);
    } catch (error) {
      throw new InvalidArgumentError(
        `jobs[${i}]`,
        'a job of a registered kind with a valid payload',
        job.kind,
        (error as Error).message,
      );
    }
  });
  const weights = options.jobs.map((job) => {
    const estimate = job.estimateSeconds ?? 1;
    return Number.isFinite(estimate) && estimate > 0 ? estimate : 1;
  });
  const progress = new JobProgressTracker(weights);
  const report = () => options.onProgress?.(progress.snapshot());
  const outcomes = new Map<string, JobOutcome>();
  const waiting = new Map<string, number[]>(); // key -> indices of the jobs with that key
  for (const [index, envelope] of envelopes.entries()) {
    const stored = outcomes.has(envelope.key) ? undefined : await store.get(envelope.key);
    if (stored !== undefined)
      outcomes.set(envelope.key, { status: 'done', key: envelope.key, result: stored.result, cached: true });
    if (outcomes.has(envelope.key) && !waiting.has(envelope.key)) {
      progress.finish(index, 'cached');
      continue;
    }
    waiting.set(envelope.key, [...(waiting.get(envelope.key) ?? []), index]);
  }
  if (outcomes.size > 0) report();
  const finished = async (envelope: JobEnvelope, outcome: JobOutcome): Promise<void> => {
    if (outcome.status === 'done') await store.put({ key: envelope.key, kind: envelope.kind, result: outcome.result });
    outcomes.set(envelope.key, outcome);
    for (const index of waiting.get(envelope.key) ?? [])
      progress.finish(index, outcome.status === 'done' ? 'computed' : 'failed');
    report();
  };
  const unique = [...waiting.keys()].map((key) => envelopes[waiting.get(key)![0]!]!);
  if (options.url === undefined) {
    for (const envelope of unique) {
      if (options.signal?.aborted) throw new Error('runJobs: aborted');
      const kind = options.kinds.get(envelope.kind);
      let outcome: JobOutcome;
      try {
        const result = await kind.run(kind.validate(envelope.payload), {
          key: envelope.key,
          log: options.log ?? (() => {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
        outcome = {
          status: 'done',
          key: envelope.key,
          result: JSON.parse(JSON.stringify(result ?? null)),
          cached: false,
        };
      } catch (error) {
        outcome = {
          status: 'failed',
          key: envelope.key,
          error: error instanceof Error ? error.message : String(error),
        };
      }
      await finished(envelope, outcome);
    }
  } else {
    await runOnQueue({
      url: options.url,
      envelopes: unique,
      queueName: options.queueName ?? 'dpo-ts',
      attempts: options.attempts ?? 3,
      pollMilliseconds: options.pollMilliseconds ?? 1000,
      finished,
      log: options.log ?? (() => {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }
  return envelopes.map((envelope) => outcomes.get(envelope.key)!);
}
