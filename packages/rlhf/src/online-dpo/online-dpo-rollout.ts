import * as tf from '@tensorflow/tfjs-core';
import { METRIC_NAMES } from '@dpo-ts/core';
import type { Rng } from '@dpo-ts/core/training';
import type { GPT, Tokenizer } from '@dpo-ts/lm';
import { responseLogProbs } from '../response-forward.js';
import { computeRewardScores, type RewardSource } from '../reward-source.js';
import { layoutRollout, rolloutTensors, type RolloutLayout } from '../rollout-layout.js';
import { type OnlinePairs, type PairwiseJudge, pairsFromJudge, pairsFromScores } from './online-dpo-pairs.js';
import { generateRollout, type RolloutSampling } from '../rollout-generation.js';

/** What labels the pairs: a reward (function or model) or a pairwise judge. */
export type OnlineDPOLabeler =
  | {
      /** Scores each completion; the higher-scored of a prompt's two is chosen (ties: the first). */
      readonly reward: RewardSource;
    }
  | {
      /** Compares a prompt's two completions and says which is better. */
      readonly judge: PairwiseJudge;
    };

/** Settings of {@link collectOnlinePairs}. */
export interface OnlinePairOptions {
  /** Most tokens sampled per completion (EOS included). */
  readonly maxNewTokens: number;
  /** Sampling temperature (> 0); it shapes which completions are drawn, not the loss's scores. */
  readonly temperature: number;
  /** End a completion at its first EOS (else sample `maxNewTokens` tokens). */
  readonly stopAtEos: boolean;
  /** Subtracted from the reward of a completion without EOS (reward labeler only); undefined: none. */
  readonly missingEosPenalty: number | undefined;
  /** β of the loss, for `objective/non_score_reward`. */
  readonly beta: number;
}

/** A labelled batch of fresh pairs, as plain arrays (no tensors to dispose). */
export interface OnlinePairBatch {
  /** Rows `0 .. B - 1` are each prompt's first completion, rows `B .. 2B - 1` its second. */
  readonly layout: RolloutLayout;
  /** The decoded completion of each row, `[2B]`, in the layout's row order. */
  readonly completions: readonly string[];
  /** Which row of each prompt is chosen and which rejected, and how many pairs tied. */
  readonly pairs: OnlinePairs;
  /** Σ_t log π_ref(y_t) of each row (temperature 1), `[2B]`. */
  readonly referenceScores: Float32Array;
  /** TRL's `objective/*`, `val/contain_eos_token` metrics of the sampled batch. */
  readonly metrics: Record<string, number>;
}

/** TRL's `OnlineDPOTrainer` metric keys not in core's `METRIC_NAMES`. */
export const ONLINE_DPO_METRIC_NAMES = {
  /** `objective/scores_margin`: mean reward of the chosen minus the rejected completion (reward labeler only). */
  scoresMargin: 'objective/scores_margin',
  /** `val/contain_eos_token`: share of the sampled completions that ended with EOS. */
  containEosToken: 'val/contain_eos_token',
  /** `beta`: the loss's β in force. */
  beta: 'beta',
  /** `objective/ties`: share of pairs whose two completions scored the same (reward labeler only; ours, not TRL's). */
  ties: 'objective/ties',
} as const;

/**
 * The sampling and labelling phase of an online-DPO step: each prompt twice, two completions
 * sampled from the current policy, labelled by the reward (minus `missingEosPenalty` without
 * EOS; ties to the first) or by the judge, then Σ log π of each completion under the policy
 * (for the metrics) and the frozen reference (for the loss), without gradients.
 *
 * Scores for the loss are log-probabilities at temperature 1, the model's own distribution, as
 * the offline DPO trainer uses; the sampling temperature only shapes which pairs are drawn.
 *
 * With `sampling` (workers > 1, `'auto'` or a pool), the completions are sampled on worker
 * threads in seeded tasks ({@link generateRollout}); without it, by one `generate` call.
 *
 * Leaves no tensor behind.
 * @see Guo et al. 2024, "Direct Language Model Alignment from Online AI Feedback"; TRL
 *   `OnlineDPOTrainer.training_step`.
 */
export async function collectOnlinePairs(
  models: { readonly policy: GPT; readonly reference: GPT },
  tokenizer: Tokenizer,
  prompts: readonly string[],
  promptIds: readonly (readonly number[])[],
  labeler: OnlineDPOLabeler,
  options: OnlinePairOptions,
  rng: Rng,
  sampling?: RolloutSampling,
): Promise<OnlinePairBatch> {
  const B = prompts.length;
  const rowIds = [...promptIds, ...promptIds];
  const generation = await generateRollout(
    models.policy,
    tokenizer,
    rowIds,
    { maxNewTokens: options.maxNewTokens, temperature: options.temperature, stopAtEos: options.stopAtEos },
    rng,
    sampling,
  );
  let pairs: OnlinePairs;
  let scores: number[] | undefined;
  if ('reward' in labeler) {
    const raw = await computeRewardScores(labeler.reward, {
      prompts: [...prompts, ...prompts],
      completions: generation.texts,
      finished: generation.finished,
    });
    const penalty = options.missingEosPenalty;
    scores = raw.map((score, row) => (penalty !== undefined && !generation.finished[row] ? score - penalty : score));
    pairs = pairsFromScores(scores);
  } else {
    pairs = await pairsFromJudge(labeler.judge, prompts, generation.texts);
  }
  const layout = layoutRollout(rowIds, generation, tokenizer.padTokenId);
  const sums = (model: GPT): tf.Tensor1D =>
    tf.tidy(() => {
      const inputs = rolloutTensors(layout);
      return tf.sum(tf.mul(responseLogProbs(model, inputs, 1).logProbs, inputs.responseMask), 1) as tf.Tensor1D;
    });
  const referenceTensor = sums(models.reference);
  const policyTensor = sums(models.policy);
  let referenceScores: Float32Array;
  let policyScores: Float32Array;
  try {
    referenceScores = (await referenceTensor.data()) as Float32Array;
    policyScores = (await policyTensor.data()) as Float32Array;
  } finally {
    tf.dispose([referenceTensor, policyTensor]);
  }
  const mean = (values: ArrayLike<number>): number => Array.from(values).reduce((a, b) => a + b, 0) / values.length;
  const kl = mean(Array.from(policyScores, (score, row) => score - referenceScores[row]!));
  const metrics: Record<string, number> = {
    [METRIC_NAMES.objectiveKl]: kl,
    [METRIC_NAMES.objectiveEntropy]: -mean(policyScores),
    [METRIC_NAMES.objectiveNonScoreReward]: -options.beta * kl,
    [ONLINE_DPO_METRIC_NAMES.containEosToken]: generation.finished.filter(Boolean).length / (2 * B),
    [ONLINE_DPO_METRIC_NAMES.beta]: options.beta,
  };
  if (scores !== undefined) {
    const s = scores;
    metrics[METRIC_NAMES.objectiveScores] = mean(s);
    metrics[METRIC_NAMES.objectiveRlhfReward] = mean(s) - options.beta * kl;
    metrics[ONLINE_DPO_METRIC_NAMES.scoresMargin] = mean(
      pairs.chosenRows.map((row, i) => s[row]! - s[pairs.rejectedRows[i]!]!),
    );
    metrics[ONLINE_DPO_METRIC_NAMES.ties] = pairs.ties / B;
  }
  return { layout, completions: generation.texts, pairs, referenceScores, metrics };
}
