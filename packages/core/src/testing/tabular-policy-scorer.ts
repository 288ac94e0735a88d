import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { requireInteger } from '../errors/validate.js';
import type { PairScores } from '../surrogate/pair-scores.js';
import type { NamedVariables, PreferenceScorer } from '../surrogate/preference-scorer.js';

/** A batch for {@link TabularPolicyScorer}: one condition and two response ids per pair. */
export interface TabularPreferenceBatch {
  /** Condition (prompt) id per pair, in [0, numConditions). */
  readonly conditions: readonly number[];
  /** Chosen response id per pair, in [0, numResponses). */
  readonly chosen: readonly number[];
  /** Rejected response id per pair. */
  readonly rejected: readonly number[];
}

/**
 * The smallest real policy: a table of logits, pi(y | c) = softmax(logits[c])[y], scored by
 * its exact log-likelihood log pi(y | c). Siblings use it to test losses, reference handling
 * and the training loop without a network; core uses it for DPO's closed-form check: under a
 * Bradley-Terry preference model with reward r(c, y), the optimum of the DPO objective is
 * pi*(y|c) proportional to pi_ref(y|c) exp(r(c,y) / beta) (Rafailov et al. 2023, Eq. 4).
 *
 * Lookups use one-hot matmuls, so the model trains on every backend (wasm lacks the kernel of
 * gather's built-in gradient). Responses have length 1 (no `chosenLengths`).
 */
export class TabularPolicyScorer implements PreferenceScorer<TabularPreferenceBatch> {
  /** Rows of the table: how many conditions (prompts) there are, >= 1. */
  readonly numConditions: number;
  /** Columns of the table: how many responses each condition can take, >= 2. */
  readonly numResponses: number;
  /** Logits `[numConditions, numResponses]`; owned by this scorer, freed by {@link dispose}. */
  readonly logits: tf.Variable<tf.Rank.R2>;

  /**
   * Creates the logits variable from a copy of `initialLogits`; the scorer owns it until
   * {@link TabularPolicyScorer.dispose}.
   * @param initialLogits - `[numConditions][numResponses]` starting logits (copied).
   * @param name - prefix of the tfjs variable name (tfjs names must be unique among live
   *   variables); `namedVariables()` keys are model-relative (`logits`) whatever the prefix.
   * @param trainable - false for a frozen reference.
   */
  constructor(initialLogits: readonly (readonly number[])[], name = 'tabular', trainable = true) {
    this.numConditions = requireInteger('initialLogits.length', initialLogits.length, { min: 1 });
    this.numResponses = requireInteger('initialLogits[0].length', initialLogits[0]?.length ?? 0, { min: 2 });
    initialLogits.forEach((row, i) => {
      if (row.length !== this.numResponses) {
        throw new InvalidArgumentError(`initialLogits[${i}].length`, `${this.numResponses} (as row 0)`, row.length);
      }
    });
    // tf.variable copies its initial value: the temporary table is freed right away.
    const initial = tf.tensor2d(initialLogits.map((r) => [...r]));
    try {
      this.logits = tf.variable(initial, trainable, `${name}.logits`);
    } finally {
      initial.dispose();
    }
  }

  /** Log-probabilities `[numConditions, numResponses]`; the caller disposes. */
  logProbs(): tf.Tensor2D {
    return tf.tidy(() => tf.logSoftmax(this.logits));
  }

  /** Exact log-likelihoods of both responses of each pair, `[batch]`; the caller disposes. */
  score(batch: TabularPreferenceBatch): PairScores {
    const size = batch.conditions.length;
    if (batch.chosen.length !== size || batch.rejected.length !== size) {
      throw new InvalidArgumentError('batch', `chosen and rejected of length ${size} (as conditions)`, {
        chosen: batch.chosen.length,
        rejected: batch.rejected.length,
      });
    }
    return tf.tidy(() => {
      const rows = tf.matMul(
        oneHot('batch.conditions', batch.conditions, this.numConditions),
        tf.logSoftmax(this.logits),
      ); // [B, K]
      const pick = (argument: string, ids: readonly number[]): tf.Tensor1D =>
        tf.sum(tf.mul(rows, oneHot(argument, ids, this.numResponses)), 1); // [B, K] -> [B]
      return { chosen: pick('batch.chosen', batch.chosen), rejected: pick('batch.rejected', batch.rejected) };
    });
  }

  /** The logits, unless constructed frozen. */
  trainableVariables(): tf.Variable[] {
    return this.logits.trainable ? [this.logits] : [];
  }

  /** The logits under the model-relative name `logits`. */
  namedVariables(): NamedVariables {
    return new Map([['logits', this.logits as tf.Variable]]);
  }

  /** Frees the logits variable. */
  dispose(): void {
    this.logits.dispose();
  }
}

/** One-hot rows `[ids.length, depth]` built on the host (tf.oneHot needs depth >= 2). */
function oneHot(argument: string, ids: readonly number[], depth: number): tf.Tensor2D {
  const values = new Float32Array(ids.length * depth);
  ids.forEach((id, i) => {
    if (!Number.isInteger(id) || id < 0 || id >= depth)
      throw new InvalidArgumentError(`${argument}[${i}]`, `an integer in [0, ${depth})`, id);
    values[i * depth + id] = 1;
  });
  return tf.tensor2d(values, [ids.length, depth]);
}
