import { InvalidArgumentError } from '@dpo-ts/core';

/**
 * A plain reward: any function of a prompt and a sampled completion (text, special tokens
 * removed), sync or async. Called once per rollout.
 * @example
 * const reward: RewardFunction = (_prompt, completion) => (completion.match(/[aeiou]/g) ?? []).length;
 */
export type RewardFunction = (prompt: string, completion: string) => number | Promise<number>;

/** A batch of rollouts to score. */
export interface RewardBatch {
  /** The prompt texts. */
  readonly prompts: readonly string[];
  /** The sampled completions, decoded without special tokens. */
  readonly completions: readonly string[];
  /** Whether each completion ended with EOS (false: it ran out of `responseLength`). */
  readonly finished: readonly boolean[];
}

/** A reward that scores a whole batch at once, such as a learned reward model ({@link rewardModelScorer}). */
export interface BatchRewardScorer {
  /** One score per rollout, in order. */
  scoreBatch(batch: RewardBatch): Promise<readonly number[]> | readonly number[];
}

/** What PPO (and DDPO) accept as the reward: a plain function or a batch scorer. */
export type RewardSource = RewardFunction | BatchRewardScorer;

/**
 * Scores a batch with either kind of {@link RewardSource} and checks the result: one finite
 * number per rollout.
 * @throws InvalidArgumentError naming the rollout whose score is not a finite number, or the
 *   scorer when it returns the wrong count.
 */
export async function computeRewardScores(source: RewardSource, batch: RewardBatch): Promise<number[]> {
  const n = batch.prompts.length;
  if (batch.completions.length !== n || batch.finished.length !== n) {
    throw new InvalidArgumentError(
      'batch',
      `prompts, completions and finished of equal length (${n})`,
      `${batch.completions.length} completions, ${batch.finished.length} flags`,
    );
  }
  let scores: readonly number[];
  if (typeof source === 'function') {
    scores = await Promise.all(batch.prompts.map((prompt, i) => source(prompt, batch.completions[i]!)));
  } else if (source !== null && typeof source === 'object' && typeof source.scoreBatch === 'function') {
    scores = await source.scoreBatch(batch);
    if (!Array.isArray(scores) || scores.length !== n)
      throw new InvalidArgumentError('reward.scoreBatch(batch)', `an array of ${n} scores`, scores);
  } else {
    throw new InvalidArgumentError(
      'reward',
      'a function (prompt, completion) => number or an object with scoreBatch(batch)',
      source,
    );
  }
  scores.forEach((score, i) => {
    if (typeof score !== 'number' || !Number.isFinite(score)) {
      throw new InvalidArgumentError(
        `reward score of rollout ${i}`,
        'a finite number',
        score,
        `prompt ${JSON.stringify(batch.prompts[i])}, completion ${JSON.stringify(batch.completions[i])}`,
      );
    }
  });
  return [...scores];
}
