import * as tf from '@tensorflow/tfjs-core';
import type { CausalLanguageModel } from './causal-lm.js';

/**
 * Test oracle: the log-likelihood of the scored tokens of one row, from the model's logits,
 * with the log-softmax computed in float64 in JavaScript (independent of the tfjs code paths
 * under test). `mask[t] = 1` scores token t given tokens 0..t-1 (t >= 1).
 */
export function float64RowLogProb(
  model: CausalLanguageModel,
  ids: readonly number[],
  mask: readonly number[],
): { sum: number; count: number; correct: number } {
  const logits = tf.tidy(() => model.forward(tf.tensor2d([ids.slice()], undefined, 'int32')).dataSync());
  const V = model.vocabSize;
  let sum = 0;
  let count = 0;
  let correct = 0;
  for (let t = 1; t < ids.length; t++) {
    if (!mask[t]) continue;
    const row = Array.from(logits.subarray((t - 1) * V, t * V));
    const max = Math.max(...row);
    const logZ = max + Math.log(row.reduce((acc, z) => acc + Math.exp(z - max), 0));
    sum += row[ids[t]!]! - logZ;
    count += 1;
    correct += row.indexOf(max) === ids[t] ? 1 : 0;
  }
  return { sum, count, correct };
}
