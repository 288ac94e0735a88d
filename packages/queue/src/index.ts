/**
 * Jobs for dpo-ts on a Redis queue (BullMQ): benchmark cells and data shards (reference scores)
 * run on any number of machines, each result keyed by a hash of its inputs and kept on disk,
 * or everything in-process when no queue URL is given. See docs/queue.md.
 * @packageDocumentation
 */
export { canonicalJson, sha256Hex } from './canonical-json.js';
export { detectCodeVersion, type DetectCodeVersionOptions } from './code-version.js';
export { CodeVersionMismatchError, makeEnvelope, openEnvelope, type JobEnvelope } from './job-envelope.js';
export { jobKey, type JobInputs } from './job-key.js';
export { JobKindRegistry, type AnyJobKind, type JobContext, type JobKind } from './job-kind.js';
export { JobProgressTracker, formatJobProgress, type JobProgress } from './job-progress.js';
export { queueConnection, redactUrl, type QueueConnection } from './queue-connection.js';
export { queueJobId, type WorkerJobReturn } from './queue-producer.js';
export {
  precomputeReferenceShards,
  type PrecomputeReferenceShardsOptions,
  type ReferenceShard,
  type ReferenceShardResult,
  type ReferenceShardsSummary,
} from './reference-shards.js';
export { FileResultStore, InMemoryResultStore, type JobResultStore, type StoredJobResult } from './result-store.js';
export type { JobOutcome } from './job-outcome.js';
export { runJobs, type JobRequest, type RunJobsOptions } from './run-jobs.js';
export { runWorker, type RunWorkerOptions, type RunningWorker } from './worker.js';
