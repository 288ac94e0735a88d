import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import type { NamedVariables } from '../surrogate/preference-scorer.js';
import { computeNamedGradients } from '../training/named-gradients.js';
import type { MicroBatchResult } from './gradient-engine.js';
import type { MicroBatchContext, ParallelTask } from './parallel-task.js';

/** {@link MicroBatchResult} with the micro-batch's gradients. */
export interface MicroBatchGradients extends MicroBatchResult {
  /** d loss / d variable by stable name; new tensors the caller disposes. */
  readonly grads: Map<string, tf.Tensor>;
}

/**
 * The gradient of one micro-batch's loss with respect to `trainable`, with the loss and
 * metrics read back as numbers: the unit of work the main thread and every worker run alike.
 * Metric tensors are kept past the tape's tidy (tf.keep), read, then freed; on an error
 * everything the call made is freed before it propagates.
 *
 * @returns new gradient tensors the caller disposes; nothing else stays alive.
 */
export async function microBatchGradients<TBatch>(
  task: ParallelTask<TBatch>,
  trainable: NamedVariables,
  batch: TBatch,
  context: MicroBatchContext,
): Promise<MicroBatchGradients> {
  const kept = new Map<string, tf.Tensor>();
  let lossTensor: tf.Tensor | undefined;
  let computed: ReturnType<typeof computeNamedGradients>;
  try {
    computed = computeNamedGradients(() => {
      const { loss, metrics = {} } = task.lossAndMetrics(batch, context);
      lossTensor = loss;
      for (const [name, metric] of Object.entries(metrics)) {
        if (!(metric instanceof tf.Tensor) || metric.size !== 1) {
          throw new InvalidArgumentError(`lossAndMetrics().metrics.${name}`, 'a scalar tensor', metric);
        }
        kept.set(name, metric === loss ? metric : tf.keep(metric));
      }
      return loss;
    }, trainable);
  } catch (error) {
    tf.dispose([...kept.values()].filter((metric) => metric !== lossTensor));
    throw error;
  }
  const { value, grads } = computed;
  const owned = new Set<tf.Tensor>([value, ...[...kept.values()].filter((metric) => metric !== lossTensor)]);
  try {
    const loss = (await value.data())[0]!;
    const metrics: Record<string, number> = {};
    for (const [name, metric] of kept) metrics[name] = metric === lossTensor ? loss : (await metric.data())[0]!;
    return { loss, metrics, grads };
  } catch (error) {
    tf.dispose([...grads.values()]);
    throw error;
  } finally {
    tf.dispose([...owned]);
  }
}
