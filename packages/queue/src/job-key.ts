import { canonicalJson, sha256Hex } from './canonical-json.js';

/** Everything a job's result depends on. */
export interface JobInputs {
  /** The registered job kind (`bench-cell`, `reference-scores`). */
  readonly kind: string;
  /** The job's JSON payload. */
  readonly payload: unknown;
  /** The code version that computes it ({@link detectCodeVersion}). */
  readonly codeVersion: string;
}

/**
 * The key of a job's result: SHA-256 (hex, 64 characters) of the canonical JSON of
 * `{ kind, payload, codeVersion }`. Two jobs with the same key compute the same result, so a
 * result stored under a key is never computed again (a rerun resumes) and a change of code
 * version recomputes everything.
 *
 * @throws InvalidArgumentError when the payload holds a value JSON cannot carry exactly.
 */
export function jobKey(inputs: JobInputs): string {
  return sha256Hex(
    canonicalJson({ kind: inputs.kind, payload: inputs.payload, codeVersion: inputs.codeVersion }, 'payload'),
  );
}
