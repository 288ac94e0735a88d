import * as tf from '@tensorflow/tfjs-core';
import { requireInteger } from '@dpo-ts/core';
import { buildLMBatch, type Tokenizer } from '@dpo-ts/lm';
import type { SequenceRewardModel } from '@dpo-ts/reward';
import type { BatchRewardScorer, RewardBatch } from './reward-source.js';

/** Options of {@link rewardModelScorer}. */
export interface RewardModelScorerOptions {
  /** Rows per forward pass. @defaultValue 32 */
  readonly batchSize?: number;
  /** Longest row; longer prompts keep their end, longer completions lose theirs. @defaultValue the model's contextLength */
  readonly maxLength?: number;
}

/**
 * A {@link BatchRewardScorer} backed by a Bradley-Terry {@link SequenceRewardModel}: each
 * rollout is re-tokenised with the reward model's tokenizer as `[BOS] prompt completion`, plus
 * EOS only when the policy sampled one (TRL scores the post-processed response as sampled, so
 * a completion cut off at `responseLength` is scored without EOS), and scored at its last token.
 *
 * Runs outside any gradient tape; the reward model stays frozen (PPO never lists its
 * variables). The scorer does not own the model.
 *
 * @see Ziegler et al. 2019, Sec. 2; Ouyang et al. 2022, Sec. 3.5; TRL `get_reward`.
 */
export function rewardModelScorer(
  model: SequenceRewardModel,
  tokenizer: Tokenizer,
  options: RewardModelScorerOptions = {},
): BatchRewardScorer {
  const batchSize = requireInteger('options.batchSize', options.batchSize ?? 32, { min: 1 });
  const maxLength = requireInteger('options.maxLength', options.maxLength ?? model.contextLength, {
    min: 2,
    max: model.contextLength,
  });
  return {
    async scoreBatch(batch: RewardBatch): Promise<number[]> {
      const scores: number[] = [];
      for (let start = 0; start < batch.prompts.length; start += batchSize) {
        const examples = batch.prompts.slice(start, start + batchSize).map((prompt, offset) => {
          const i = start + offset;
          const completion = tokenizer.encode(batch.completions[i]!);
          return {
            prompt: tokenizer.encode(prompt),
            completion: batch.finished[i] ? [...completion, tokenizer.eosTokenId] : completion,
          };
        });
        const rewards = tf.tidy(() => model.score(buildLMBatch(examples, tokenizer, { maxLength, addEos: false })));
        try {
          scores.push(...(await rewards.data()));
        } finally {
          rewards.dispose();
        }
      }
      return scores;
    },
  };
}
