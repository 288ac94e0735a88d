import { WorkerFailedError } from './worker-failed-error.js';

/**
 * A worker thread of a {@link SamplingWorkerPool} threw, exited or could not start. A
 * {@link WorkerFailedError} (catch either), naming the sampling task instead of a micro-batch:
 * `worker 1 failed on sampling task 3: DPOTSError: ...`. The pool is shut down when this is
 * thrown; its `sample()` call returns nothing.
 */
export class SamplingWorkerFailedError extends WorkerFailedError {
  /** 0-based index, in the call's task list, of the task the worker was running, when known. */
  readonly taskIndex: number | undefined;

  /**
   * Builds the message from `details`, naming the sampling task instead of a micro-batch.
   * @param details - the worker's index, the task it ran (when known), and its error's class
   *   name (`'exit'` when the thread exited), message and stack.
   */
  constructor(details: { workerIndex: number; taskIndex?: number; name: string; message: string; stack?: string }) {
    super({
      workerIndex: details.workerIndex,
      name: details.name,
      message: details.message,
      ...(details.stack === undefined ? {} : { stack: details.stack }),
    });
    const where = details.taskIndex === undefined ? '' : ` on sampling task ${details.taskIndex}`;
    this.message = `worker ${details.workerIndex} failed${where}: ${details.name}: ${details.message}`;
    this.taskIndex = details.taskIndex;
  }
}
