import type { StepPhaseSeconds } from './step-phases.js';
import type { MicroBatchTiming } from './worker-protocol.js';

/**
 * One worker's seconds by phase over a timed `GradientWorkerPool` call: the sum of the
 * {@link MicroBatchTiming}s its micro-batches reported. Internal to the pool.
 */
export class WorkerPhaseTotals {
  /** Copying the shared parameters into the replica. */
  load = 0;
  /** Forward and backward passes. */
  compute = 0;
  /** Writing gradients into shared slots. */
  copy = 0;
  /** Waiting for a free gradient slot. */
  slotWait = 0;
  /** Adding gradients (its own or another worker's) into the call's ordered sum. */
  reduce = 0;
  /** Micro-batches it computed. */
  microBatches = 0;
  /** When it took the call and when it finished, on the process-wide clock (ms); see `FromWorker`. */
  span: { readonly startedAt: number; readonly finishedAt: number } | undefined;

  /** Adds one micro-batch's timing. */
  add(timing: MicroBatchTiming): void {
    this.microBatches++;
    this.load += timing.load;
    this.compute += timing.compute;
    this.copy += timing.copy;
    this.slotWait += timing.slotWait;
  }

  /**
   * The worker phases of a call, averaged over the workers that had micro-batches; a worker's
   * idle time is `workSeconds` (posting the work to the last worker's end) minus its own load,
   * compute, copy and reduce. With `postedAt` (when the call was posted, process-wide clock in
   * ms) and every worker's span, also the parts of idle: `wake` and `imbalance`.
   */
  static mean(active: readonly WorkerPhaseTotals[], workSeconds: number, postedAt?: number): StepPhaseSeconds {
    const mean = (pick: (t: WorkerPhaseTotals) => number) =>
      active.reduce((sum, t) => sum + pick(t), 0) / active.length;
    const spans = active.map((t) => t.span);
    const split =
      postedAt === undefined || spans.some((span) => span === undefined)
        ? {}
        : {
            wake: mean((t) => Math.max(0, t.span!.startedAt - postedAt) / 1000),
            imbalance: mean((t) => (Math.max(...spans.map((span) => span!.finishedAt)) - t.span!.finishedAt) / 1000),
          };
    return {
      ...split,
      load: mean((t) => t.load),
      compute: mean((t) => t.compute),
      copy: mean((t) => t.copy),
      idle: mean((t) => Math.max(0, workSeconds - t.load - t.compute - t.copy - t.reduce)),
    };
  }
}
