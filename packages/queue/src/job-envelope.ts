import { DPOTSError, InvalidArgumentError } from '@dpo-ts/core';
import { jobKey } from './job-key.js';
import type { JobKindRegistry } from './job-kind.js';

/** What travels through Redis as a job's data. */
export interface JobEnvelope {
  /** Always `'dpo-ts.job'`; a worker refuses other data. */
  readonly format: 'dpo-ts.job';
  /** The envelope format's version, always 1. */
  readonly version: 1;
  /** The job kind's name, registered in the {@link JobKindRegistry} of producer and worker. */
  readonly kind: string;
  /** The producer's code version ({@link detectCodeVersion}); a worker of another one refuses the job. */
  readonly codeVersion: string;
  /** {@link jobKey} of kind, payload and code version. */
  readonly key: string;
  /** The job's input as JSON, validated by its kind before it is enqueued and again by the worker. */
  readonly payload: unknown;
}

/** A worker runs another code version than the producer that enqueued the job. */
export class CodeVersionMismatchError extends DPOTSError {
  /**
   * Creates the error; the message names both versions and says to run workers from the
   * producer's commit and package versions.
   * @param producerVersion - the code version in the job's envelope.
   * @param workerVersion - this worker's code version.
   */
  constructor(
    /** The code version of the producer that enqueued the job (the envelope's `codeVersion`). */
    readonly producerVersion: string,
    /** The code version of the worker that refused it. */
    readonly workerVersion: string,
  ) {
    super(
      `job refused: it was enqueued by code version "${producerVersion}" but this worker runs "${workerVersion}"; run workers from the same commit and package versions as the producer`,
    );
  }
}

/** Builds the envelope of a job, validating its payload first (a bad payload never reaches Redis). */
export function makeEnvelope(
  registry: JobKindRegistry,
  kind: string,
  payload: unknown,
  codeVersion: string,
): JobEnvelope {
  registry.validate(kind, payload);
  return { format: 'dpo-ts.job', version: 1, kind, codeVersion, key: jobKey({ kind, payload, codeVersion }), payload };
}

/**
 * Checks a job's data as a worker receives it: the envelope's shape, a registered kind, the
 * same code version as the worker's, a key that matches the content, and a valid payload.
 *
 * @returns the envelope and the kind's typed payload.
 * @throws InvalidArgumentError for a malformed envelope, an unknown kind, a key that does not
 *   match or a payload the kind refuses; {@link CodeVersionMismatchError} for another version.
 */
export function openEnvelope(
  registry: JobKindRegistry,
  data: unknown,
  workerVersion: string,
): {
  /** The checked envelope, as received. */
  envelope: JobEnvelope;
  /** The payload as the kind's `validate` returned it. */
  payload: unknown;
} {
  const envelope = data as Partial<JobEnvelope> | null;
  if (envelope === null || typeof envelope !== 'object' || envelope.format !== 'dpo-ts.job' || envelope.version !== 1)
    throw new InvalidArgumentError('job data', 'a dpo-ts.job envelope of version 1', data);
  if (typeof envelope.codeVersion !== 'string')
    throw new InvalidArgumentError('job data.codeVersion', 'a string', envelope.codeVersion);
  if (envelope.codeVersion !== workerVersion) throw new CodeVersionMismatchError(envelope.codeVersion, workerVersion);
  const payload = registry.validate(envelope.kind, envelope.payload);
  const key = jobKey({ kind: envelope.kind as string, payload: envelope.payload, codeVersion: envelope.codeVersion });
  if (envelope.key !== key)
    throw new InvalidArgumentError('job data.key', `the key of its content (${key})`, envelope.key);
  return { envelope: envelope as JobEnvelope, payload };
}
