import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, requireBoolean, requireOneOf, SCORE_REDUCTIONS } from '@dpo-ts/core';
import type {
  Checkpointable,
  NamedVariables,
  PairScores,
  PreferenceScorer,
  ScoreContext,
  ScoreReduction,
} from '@dpo-ts/core';
import type { Rng } from '@dpo-ts/core/training';
import type { CausalLanguageModel } from './causal-lm.js';
import { lmBatchTensors } from './lm-batch.js';
import type { LMPreferenceBatch } from './preference-batch.js';
import { completionLogitSums, LOGIT_DETAILS } from './completion-logits.js';
import { maskedSequenceLogProbs } from './sequence-log-probs.js';
import { tokenLogProbsFromLogits } from './token-log-probs.js';

/** Options of {@link LMPreferenceScorer}. */
export interface LMPreferenceScorerOptions {
  /** `'sum'` (DPO, TRL's default) or `'mean'` of the completion's token log-probs; see core's `ScoreReduction`. @defaultValue 'sum' */
  readonly reduction?: ScoreReduction;
  /**
   * Whether `trainableVariables()` lists the model's variables. False for a frozen reference
   * model, whose scores then carry no gradient into the optimiser.
   * @defaultValue true
   */
  readonly trainable?: boolean;
  /**
   * Dropout seeds when scoring with `training: true`; defaults to the model's own stream. A
   * function is called on every `score` with its context and may return a different stream
   * each micro-batch (trainers derive one from their seed and `context.microBatch`, see
   * {@link microBatchDropout}, so a resumed run, or a worker thread, draws the same masks).
   */
  readonly rng?: Rng | ((context: ScoreContext) => Rng | undefined);
  /**
   * Carry, with the scores, the per-pair sums behind TRL's `logits/chosen` and
   * `logits/rejected` (`PairScores.details`, see `completionLogitSums`); lm's `DPOTrainer` sets
   * it for the policy. @defaultValue false
   */
  readonly logitMetrics?: boolean;
}

/**
 * Core's {@link PreferenceScorer} for causal language models: the score of a response is its
 * log-likelihood given the prompt, `log pi(y | x) = sum_t log pi(y_t | x, y_<t)` (or the
 * per-token mean), prompt and padding masked.
 *
 * One forward pass over the concatenated `[2 numPairs, T]` batch ({@link LMPreferenceBatch}),
 * then split: the first `numPairs` rows are the chosen scores, the rest the rejected ones.
 * Lengths are the completion token counts (EOS included), for length-normalised losses; with
 * `reduction: 'mean'` the scores are already per-token and the lengths are left out (core's
 * losses then take them as 1), so `ipo`, `sigmoid_norm` and `sft` do not divide by the length
 * twice.
 *
 * Use one scorer per model: `new LMPreferenceScorer(policy)` and
 * `new LMPreferenceScorer(reference, { trainable: false })`.
 *
 * @see Rafailov et al. 2023, Eq. 7; TRL `DPOTrainer.concatenated_forward`.
 */
export class LMPreferenceScorer implements PreferenceScorer<LMPreferenceBatch>, Checkpointable {
  /** The language model scored (policy or reference); the caller's, not disposed by the scorer. */
  readonly model: CausalLanguageModel;
  /** {@inheritDoc LMPreferenceScorerOptions.reduction} */
  readonly reduction: ScoreReduction;
  /** {@inheritDoc LMPreferenceScorerOptions.trainable} */
  readonly trainable: boolean;
  /** {@inheritDoc LMPreferenceScorerOptions.logitMetrics} */
  readonly logitMetrics: boolean;
  private readonly rng: Rng | ((context: ScoreContext) => Rng | undefined) | undefined;

  /**
   * Scores pairs with `model` (kept by reference, not copied or disposed).
   * @param options - reduction, trainability, dropout stream and logit details; see {@link LMPreferenceScorerOptions}.
   * @throws InvalidArgumentError naming `options.reduction`, `options.trainable` or `options.logitMetrics` when invalid.
   */
  constructor(model: CausalLanguageModel, options: LMPreferenceScorerOptions = {}) {
    this.model = model;
    this.reduction = requireOneOf('options.reduction', options.reduction ?? 'sum', SCORE_REDUCTIONS);
    this.trainable = requireBoolean('options.trainable', options.trainable ?? true);
    this.rng = options.rng;
    this.logitMetrics = requireBoolean('options.logitMetrics', options.logitMetrics ?? false);
  }

  /**
   * Scores both responses of every pair: `chosen`, `rejected` and, under `'sum'`,
   * `chosenLengths`, `rejectedLengths`, each `[numPairs]`, and with `logitMetrics` the
   * `details` named in `LOGIT_DETAILS`, from the same forward pass. New tensors; the caller
   * disposes them (normally by running this inside a `tf.tidy` or `tf.variableGrads`).
   */
  score(batch: LMPreferenceBatch, context: ScoreContext): PairScores {
    const n = batch.numPairs;
    if (!(n >= 1) || batch.batchSize !== 2 * n) {
      throw new InvalidArgumentError('batch.batchSize', `2 * numPairs = ${2 * n}`, batch.batchSize);
    }
    const rng = typeof this.rng === 'function' ? this.rng(context) : this.rng;
    return tf.tidy(() => {
      const { inputIds, lossMask } = lmBatchTensors(batch);
      const logits = this.model.forward(inputIds, { training: context.training, ...(rng && { rng }) }); // [2n, T, V]
      const scores = maskedSequenceLogProbs(tokenLogProbsFromLogits(logits, inputIds), lossMask);
      const details = this.logitMetrics ? logitDetails(completionLogitSums(logits, lossMask)) : undefined;
      const withDetails = details === undefined ? {} : { details };
      if (this.reduction === 'mean') {
        const [chosen, rejected] = tf.split(scores.mean, 2) as [tf.Tensor1D, tf.Tensor1D];
        return { chosen, rejected, ...withDetails };
      }
      const [chosen, rejected] = tf.split(scores.sum, 2) as [tf.Tensor1D, tf.Tensor1D];
      const [chosenLengths, rejectedLengths] = tf.split(scores.tokenCount, 2) as [tf.Tensor1D, tf.Tensor1D];
      return { chosen, rejected, chosenLengths, rejectedLengths, ...withDetails };
    });
  }

  /** The model's variables when `trainable`, else none. */
  trainableVariables(): tf.Variable[] {
    return this.trainable ? this.model.trainableVariables() : [];
  }

  /**
   * The model's weights by stable name (core's `Checkpointable`), for checkpoints and TR-DPO
   * syncing. Throws when the model does not name its variables (every `GPT` does).
   */
  namedVariables(): NamedVariables {
    const named = (this.model as Partial<Checkpointable>).namedVariables;
    if (typeof named !== 'function') {
      throw new InvalidArgumentError('model', 'a model with namedVariables() (core Checkpointable)', this.model);
    }
    return named.call(this.model);
  }
}

/** The `[2n]` logit sums split into the chosen and rejected halves, under {@link LOGIT_DETAILS}' names. */
function logitDetails(sums: { sum: tf.Tensor1D; tokenCount: tf.Tensor1D }): Record<string, tf.Tensor1D> {
  const [chosenSum, rejectedSum] = tf.split(sums.sum, 2) as [tf.Tensor1D, tf.Tensor1D];
  const [chosenTokens, rejectedTokens] = tf.split(sums.tokenCount, 2) as [tf.Tensor1D, tf.Tensor1D];
  return {
    [LOGIT_DETAILS.chosenSum]: chosenSum,
    [LOGIT_DETAILS.chosenTokens]: chosenTokens,
    [LOGIT_DETAILS.rejectedSum]: rejectedSum,
    [LOGIT_DETAILS.rejectedTokens]: rejectedTokens,
  };
}
