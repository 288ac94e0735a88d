import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { requireInteger } from '../errors/validate.js';
import type { NamedVariables } from '../surrogate/preference-scorer.js';
import { accumulateGradients } from '../training/accumulate-gradients.js';
import type { GradientCall, GradientEngine, MicroBatchResult, StepGradients } from './gradient-engine.js';
import { microBatchGradients } from './micro-batch-gradients.js';
import type { ParallelTask } from './parallel-task.js';
import { secondsSince } from './step-phases.js';

/**
 * The `workers: 1` {@link GradientEngine}: every micro-batch on the main thread, one after the
 * other, its gradient added with core's `accumulateGradients` in micro-batch order. No thread,
 * no shared memory: today's single-thread path, and the reference the worker pool matches.
 *
 * Tensors: holds none between calls; the task's variables stay the caller's.
 */
export class InProcessGradientEngine<TBatch> implements GradientEngine<TBatch> {
  readonly workers = 1;
  private readonly trainable: NamedVariables;

  /**
   * An engine over `task`'s trainable variables, kept by reference (never disposed here).
   * @param task - the model and its micro-batch loss, on the main thread.
   * @throws InvalidArgumentError naming `task.namedVariables` when no variable is trainable.
   */
  constructor(private readonly task: ParallelTask<TBatch>) {
    this.trainable = new Map([...task.namedVariables].filter(([, variable]) => variable.trainable));
    if (this.trainable.size === 0)
      throw new InvalidArgumentError('task.namedVariables', 'a map with at least one trainable variable', []);
  }

  async computeGradients(batches: readonly TBatch[], call: GradientCall = {}): Promise<StepGradients> {
    if (batches.length === 0) throw new InvalidArgumentError('batches', 'at least one micro-batch', batches);
    const stepIndex = requireInteger('call.stepIndex', call.stepIndex ?? 0, { min: 0 });
    const accumulated = new Map<string, tf.Tensor>();
    const microBatches: MicroBatchResult[] = [];
    const callStart = performance.now();
    let compute = 0;
    let reduce = 0;
    try {
      for (const [microBatchIndex, batch] of batches.entries()) {
        const context = { stepIndex, microBatchIndex, microBatchCount: batches.length, step: call.step ?? null };
        let started = performance.now();
        const { grads, ...values } = await microBatchGradients(this.task, this.trainable, batch, context);
        compute += secondsSince(started);
        try {
          await call.afterMicroBatch?.(values, microBatchIndex);
        } catch (error) {
          tf.dispose([...grads.values()]);
          throw error;
        }
        started = performance.now();
        accumulateGradients(accumulated, grads, call.divisor ?? 1);
        reduce += secondsSince(started);
        microBatches.push(values);
      }
    } catch (error) {
      tf.dispose([...accumulated.values()]);
      throw error;
    }
    if (call.phases !== true) return { grads: accumulated, microBatches };
    return { grads: accumulated, microBatches, phases: { compute, reduce, gradients: secondsSince(callStart) } };
  }

  async close(): Promise<void> {}
}
