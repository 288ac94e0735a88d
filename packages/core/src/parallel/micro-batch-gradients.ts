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
 * The gradient of one micro-batch's loss with respect to `trainable`, with the loss, metrics
 * and outputs read back to the host: the unit of work the main thread and every worker run
 * alike. Metric and output tensors are kept past the tape's tidy (as copies: one may be the
 * loss tensor itself), read, then freed; on an error everything the call made is freed before
 * it propagates.
 *
 * @returns new gradient tensors the caller disposes; nothing else stays alive.
 * @throws InvalidArgumentError when a metric is not a scalar tensor.
 */
export async function microBatchGradients<TBatch>(
  task: ParallelTask<TBatch>,
  trainable: NamedVariables,
  batch: TBatch,
  context: MicroBatchContext,
): Promise<MicroBatchGradients> {
  const metricTensors = new Map<string, tf.Tensor>();
  const outputTensors = new Map<string, tf.Tensor>();
  const kept = (): tf.Tensor[] => [...metricTensors.values(), ...outputTensors.values()];
  let computed: ReturnType<typeof computeNamedGradients>;
  try {
    computed = computeNamedGradients(() => {
      const { loss, metrics = {}, outputs = {} } = task.lossAndMetrics(batch, context);
      for (const [name, metric] of Object.entries(metrics)) {
        if (!(metric instanceof tf.Tensor) || metric.size !== 1) {
          throw new InvalidArgumentError(`lossAndMetrics().metrics.${name}`, 'a scalar tensor', metric);
        }
        metricTensors.set(name, tf.keep(tf.clone(metric)));
      }
      for (const [name, output] of Object.entries(outputs)) outputTensors.set(name, tf.keep(tf.clone(output)));
      return loss;
    }, trainable);
  } catch (error) {
    tf.dispose(kept());
    throw error;
  }
  const { value, grads } = computed;
  try {
    const loss = (await value.data())[0]!;
    const metrics: Record<string, number> = {};
    for (const [name, metric] of metricTensors) metrics[name] = (await metric.data())[0]!;
    const outputs: Record<string, Float32Array> = {};
    for (const [name, output] of outputTensors) outputs[name] = Float32Array.from(await output.data());
    return { loss, metrics, outputs, grads };
  } catch (error) {
    tf.dispose([...grads.values()]);
    throw error;
  } finally {
    tf.dispose([value, ...kept()]);
  }
}
