import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@dpo-ts/core/training';
import type { GPT, Tokenizer } from '@dpo-ts/lm';
import { responseLogProbs } from '../response-forward.js';
import { computeRewardScores, type RewardSource } from '../reward-source.js';
import { layoutRollout, rolloutTensors, type RolloutLayout } from '../rollout-layout.js';
import { completionMetrics, GROUP_METRIC_NAMES } from './group-metrics.js';
import { generateRollout, type RolloutSampling } from '../rollout-generation.js';

/** Settings of {@link collectGroupRollout}. */
export interface GroupRolloutOptions {
  /** G: completions sampled per prompt. */
  readonly numGenerations: number;
  /** Most tokens sampled per completion (EOS included). */
  readonly maxCompletionLength: number;
  /** Sampling temperature T (> 0); every log-prob is of softmax(logits / T). */
  readonly temperature: number;
  /** End a completion at its first EOS (else sample `maxCompletionLength` tokens). */
  readonly stopAtEos: boolean;
  /** Also compute the frozen reference's log-probs (needed when β > 0). */
  readonly withReference: boolean;
}

/**
 * G completions of each prompt with what RLOO and GRPO need, as plain typed arrays (`[N, T]`
 * row-major, N = prompts x G, groups consecutive, zero past each row's end): no tensors to dispose.
 */
export interface GroupRollout {
  /** The padded token layout of the N = prompts x G rows (input ids, masks, response ids and lengths). */
  readonly layout: RolloutLayout;
  /** The prompt of each row (each prompt G times in a row). */
  readonly prompts: readonly string[];
  /** The decoded completion of each row (without the prompt). */
  readonly completions: readonly string[];
  /** Whether each completion ended with EOS. */
  readonly finished: readonly boolean[];
  /** The reward of each completion. */
  readonly rewards: readonly number[];
  /** log π_old(y_t) at temperature T, 0 on padding. */
  readonly oldLogProbs: Float32Array;
  /** log π_ref(y_t) at temperature T, 0 on padding; undefined without a reference pass. */
  readonly referenceLogProbs: Float32Array | undefined;
  /** `entropy` and the `completions/*` metrics. */
  readonly metrics: Record<string, number>;
}

/**
 * The sampling phase of an RLOO or GRPO step: each prompt repeated G times, completions sampled
 * with per-token log-probs (`generate`, softmax(logits / T), EOS stopping), rewards from the
 * reward source, then π_old (and π_ref when asked) recomputed by one forward pass each, so that
 * the first update's ratio is exactly 1, as in PPO's rollout.
 *
 * With `sampling` (workers > 1, `'auto'` or a pool), the completions are sampled on worker
 * threads in seeded tasks ({@link generateRollout}); without it, by one `generate` call.
 *
 * Leaves no tensor behind.
 * @see TRL `GRPOTrainer._generate_and_score_completions`.
 */
export async function collectGroupRollout(
  models: { readonly policy: GPT; readonly reference: GPT | undefined },
  tokenizer: Tokenizer,
  prompts: readonly string[],
  promptIds: readonly (readonly number[])[],
  reward: RewardSource,
  options: GroupRolloutOptions,
  rng: Rng,
  sampling?: RolloutSampling,
): Promise<GroupRollout> {
  const G = options.numGenerations;
  const rowPrompts = prompts.flatMap((prompt) => new Array<string>(G).fill(prompt));
  const rowIds = promptIds.flatMap((ids) => new Array<readonly number[]>(G).fill(ids));
  const generation = await generateRollout(
    models.policy,
    tokenizer,
    rowIds,
    { maxNewTokens: options.maxCompletionLength, temperature: options.temperature, stopAtEos: options.stopAtEos },
    rng,
    sampling,
  );
  const rewards = await computeRewardScores(reward, {
    prompts: rowPrompts,
    completions: generation.texts,
    finished: generation.finished,
  });
  const layout = layoutRollout(rowIds, generation, tokenizer.padTokenId);
  const forward = (model: GPT): tf.Tensor2D[] =>
    tf.tidy(() => {
      const inputs = rolloutTensors(layout);
      const result = responseLogProbs(model, inputs, options.temperature);
      return [
        tf.mul(result.logProbs, inputs.responseMask),
        tf.mul(result.entropy, inputs.responseMask),
      ] as tf.Tensor2D[];
    });
  const [oldLogProbs, entropy] = forward(models.policy) as [tf.Tensor2D, tf.Tensor2D];
  const reference = options.withReference && models.reference !== undefined ? forward(models.reference) : undefined;
  try {
    const tokens = generation.lengths.reduce((a, b) => a + b, 0);
    const entropySum = ((await entropy.data()) as Float32Array).reduce((a, b) => a + b, 0);
    return {
      layout,
      prompts: rowPrompts,
      completions: generation.texts,
      finished: generation.finished,
      rewards,
      oldLogProbs: (await oldLogProbs.data()) as Float32Array,
      referenceLogProbs: reference === undefined ? undefined : ((await reference[0]!.data()) as Float32Array),
      metrics: {
        [GROUP_METRIC_NAMES.entropy]: entropySum / Math.max(tokens, 1),
        ...completionMetrics(generation.lengths, generation.finished),
      },
    };
  } finally {
    tf.dispose([oldLogProbs, entropy, ...(reference ?? [])]);
  }
}
