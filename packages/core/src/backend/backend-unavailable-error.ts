import { DPOTSError } from '../errors/dpo-ts-error.js';
import type { BackendName } from './backend-request.js';

/**
 * A backend that was asked for by name cannot run here: its package is not installed, fails to
 * load, or finds no device. The message names the backend, what is missing and how to install
 * it; dpo-ts never falls back silently from an explicit request.
 *
 * `backend "tensorflow" is not available: @tensorflow/tfjs-node-gpu is not installed; ...
 * To use it: npm install @tensorflow/tfjs-node@4.22.0 ...`
 */
export class BackendUnavailableError extends DPOTSError {
  /** The backend that was requested. */
  readonly backend: BackendName;
  /** Why it cannot run, one entry per package or check that failed. */
  readonly reasons: readonly string[];
  /** What to do about it (an install command, a driver to add). */
  readonly remedy: string;

  /**
   * Builds the message `backend "<backend>" is not available: <reasons joined by "; ">. <remedy>`.
   * @param backend - the requested backend.
   * @param reasons - one entry per failed package or check.
   * @param remedy - what the user should do, in a full sentence.
   * @param options - `cause`: the underlying import or initialisation error.
   */
  constructor(backend: BackendName, reasons: readonly string[], remedy: string, options?: { cause?: unknown }) {
    super(`backend "${backend}" is not available: ${reasons.join('; ')}. ${remedy}`, options);
    this.backend = backend;
    this.reasons = reasons;
    this.remedy = remedy;
  }
}
