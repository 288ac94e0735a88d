import { DPOTSError } from '../errors/dpo-ts-error.js';

/**
 * A worker thread of a {@link GradientWorkerPool} threw, exited or could not start. The pool is
 * shut down when this is thrown; no weight changed in the call that failed (the gradients never
 * reached the optimiser), so the last checkpoint stays valid.
 *
 * The message names the worker, the micro-batch when one was running, and the worker's own
 * error: `worker 1 failed on micro-batch 3 of step 12: NonFiniteError: loss is NaN`.
 */
export class WorkerFailedError extends DPOTSError {
  /** 0-based index of the worker. */
  readonly workerIndex: number;
  /** The micro-batch the worker was computing, when known. */
  readonly microBatchIndex: number | undefined;
  /** The worker error's class name (`InvalidArgumentError`), or `'exit'` when the thread exited. */
  readonly workerErrorName: string;
  /** The worker's stack trace, when it reported one. */
  readonly workerStack: string | undefined;

  /**
   * Builds the message from `details`.
   * @param details - the worker's index, the micro-batch and step it was computing (when known),
   *   and its error's class name (`'exit'` when the thread exited), message and stack.
   */
  constructor(details: {
    workerIndex: number;
    microBatchIndex?: number;
    stepIndex?: number;
    name: string;
    message: string;
    stack?: string;
  }) {
    const where =
      details.microBatchIndex === undefined
        ? ''
        : ` on micro-batch ${details.microBatchIndex}${details.stepIndex === undefined ? '' : ` of step ${details.stepIndex}`}`;
    super(`worker ${details.workerIndex} failed${where}: ${details.name}: ${details.message}`);
    this.workerIndex = details.workerIndex;
    this.microBatchIndex = details.microBatchIndex;
    this.workerErrorName = details.name;
    this.workerStack = details.stack;
  }
}
