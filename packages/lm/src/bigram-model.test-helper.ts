import * as tf from '@tensorflow/tfjs-core';
import type { CausalLanguageModel } from './causal-lm.js';

/**
 * Test double: a bigram model whose logits are set by hand, `logits[b, t] = table[ids[b, t]]`,
 * so the next-token distribution depends only on the current token.
 */
export class BigramModel implements CausalLanguageModel {
  readonly table: tf.Variable;
  readonly vocabSize: number;
  readonly contextLength = 1024;

  constructor(table: number[][]) {
    this.vocabSize = table.length;
    this.table = tf.variable(tf.tensor2d(table));
  }

  forward(inputIds: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => tf.gather(this.table, tf.cast(inputIds, 'int32')) as tf.Tensor3D);
  }

  trainableVariables(): tf.Variable[] {
    return [this.table];
  }

  /** log p(next | previous) in float64. */
  logProb(previous: number, next: number): number {
    const row = Array.from(this.table.dataSync()).slice(previous * this.vocabSize, (previous + 1) * this.vocabSize);
    const max = Math.max(...row);
    return row[next]! - max - Math.log(row.reduce((sum, v) => sum + Math.exp(v - max), 0));
  }

  dispose(): void {
    this.table.dispose();
  }
}
