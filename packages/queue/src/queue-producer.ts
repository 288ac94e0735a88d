import { type Job, Queue, QueueEvents } from 'bullmq';
import type { JobEnvelope } from './job-envelope.js';
import { queueConnection } from './queue-connection.js';
import type { JobOutcome } from './job-outcome.js';

/** What a worker returns for a job (BullMQ's `returnvalue`). */
export interface WorkerJobReturn {
  /** The job's key ({@link jobKey}); the producer checks it against the envelope it enqueued. */
  readonly key: string;
  /** The kind's JSON result. */
  readonly result: unknown;
}

/** The BullMQ job id of a key (BullMQ refuses ids that are integers or hold `:`). */
export const queueJobId = (key: string): string => `job-${key}`;

/** @internal Options of {@link runOnQueue}. */
export interface RunOnQueueOptions {
  readonly url: string;
  readonly envelopes: readonly JobEnvelope[];
  readonly queueName: string;
  readonly attempts: number;
  readonly pollMilliseconds: number;
  readonly finished: (envelope: JobEnvelope, outcome: JobOutcome) => Promise<void>;
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal;
}

/**
 * @internal The producer side of {@link runJobs} on BullMQ: adds every job (id = its key),
 * then collects outcomes. QueueEvents wake it up as soon as a job finishes; a sweep every
 * `pollMilliseconds` checks every pending job, so a missed event (a reconnect) costs at most
 * one interval, and a job Redis no longer knows (restarted without persistence) is added
 * again. A job that already failed for good in an earlier run is removed and added afresh.
 */
export async function runOnQueue(options: RunOnQueueOptions): Promise<void> {
  const connection = queueConnection(options.url);
  const queue = new Queue(options.queueName, { connection });
  const events = new QueueEvents(options.queueName, { connection });
  const pending = new Map(options.envelopes.map((envelope) => [queueJobId(envelope.key), envelope]));
  const hot = new Set<string>();
  let wake: (() => void) | undefined;
  const poke = ({ jobId }: { jobId: string }): void => {
    if (!pending.has(jobId)) return;
    hot.add(jobId);
    wake?.();
  };
  events.on('completed', poke);
  events.on('failed', poke);
  const add = (envelope: JobEnvelope): Promise<Job> =>
    queue.add(envelope.kind, envelope, {
      jobId: queueJobId(envelope.key),
      attempts: options.attempts,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: false,
      removeOnFail: false,
    });
  // Checks one job; true when it is finished (and handed to `finished`). The state is read
  // before the job's fields: a job read first could finish in between and look finished with
  // neither a return value nor a failure reason.
  const check = async (id: string, envelope: JobEnvelope): Promise<boolean> => {
    const state = await queue.getJobState(id);
    if (state === 'unknown') {
      options.log(`job ${id.slice(0, 16)} (${envelope.kind}) is not in the queue (Redis restarted?): adding it again`);
      await add(envelope);
      return false;
    }
    if (state !== 'completed' && state !== 'failed') return false;
    const job = await queue.getJob(id);
    if (job === undefined) return false; // removed in between: the next sweep adds it again
    if (state === 'completed') {
      const value = job.returnvalue as WorkerJobReturn | null;
      const outcome: JobOutcome =
        value?.key === envelope.key
          ? { status: 'done', key: envelope.key, result: value.result, cached: false }
          : {
              status: 'failed',
              key: envelope.key,
              error: `worker returned a result for another key: ${String(value?.key)}`,
            };
      await options.finished(envelope, outcome);
    } else {
      await options.finished(envelope, {
        status: 'failed',
        key: envelope.key,
        error: `${job.failedReason} (after ${job.attemptsMade} attempt(s), stalled ${job.stalledCounter} time(s))`,
      });
    }
    pending.delete(id);
    await job.remove().catch(() => {});
    return true;
  };
  try {
    await events.waitUntilReady();
    for (const [id, envelope] of pending) {
      const existing = await queue.getJob(id);
      if (existing !== undefined && (await existing.getState()) === 'failed') await existing.remove();
      else if (existing !== undefined) continue;
      await add(envelope);
    }
    options.log(`enqueued ${pending.size} job(s) on ${options.queueName}`);
    let lastSweep = 0;
    while (pending.size > 0) {
      if (options.signal?.aborted) throw new Error('runJobs: aborted (queued jobs stay in the queue)');
      const sweep = performance.now() - lastSweep >= options.pollMilliseconds;
      const ids = sweep ? [...pending.keys()] : [...hot];
      hot.clear();
      if (sweep) lastSweep = performance.now();
      for (const id of ids) {
        const envelope = pending.get(id);
        if (envelope !== undefined) await check(id, envelope);
      }
      if (pending.size === 0 || hot.size > 0) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.pollMilliseconds);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    await events.close();
    await queue.close();
  }
}
