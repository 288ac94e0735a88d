import type { Metrics, TrainOptions } from '@dpo-ts/core';
import type { GPT, Tokenizer } from '@dpo-ts/lm';
import type { ScalarHead } from '@dpo-ts/reward';
import type { PPOConfig } from './ppo-config.js';
import type { RewardSource } from './reward-source.js';

/** What a {@link PPOTrainer} trains, against what. */
export interface PPOTrainerOptions {
  /** The policy; all its weights are trained. */
  readonly policy: GPT;
  /** The frozen reference π_ref. @defaultValue a clone of `policy` at construction (owned by the trainer) */
  readonly reference?: GPT;
  /**
   * A separate value backbone (TRL's `value_model`, e.g. the reward model's backbone), trained
   * with the value loss. Omitted: the value head sits on the policy's backbone (TRL v1's
   * `AutoModelForCausalLMWithValueHead`), so the value loss also shapes the policy's features.
   */
  readonly critic?: GPT;
  /** The value head. @defaultValue a zero-initialised `ScalarHead` with bias, named `value_head` (owned) */
  readonly valueHead?: ScalarHead;
  readonly tokenizer: Tokenizer;
  /** Prompts to sample from (core's `loadPromptJsonl` gives `{ prompt }` records). */
  readonly prompts: readonly string[];
  /** A reward function `(prompt, completion) => number` or a batch scorer (`rewardModelScorer`). */
  readonly reward: RewardSource;
  readonly config: PPOConfig;
}

/**
 * Options of {@link PPOTrainer.train}: core's `TrainOptions` (checkpoints with resume, `onLog`,
 * progress, abort; the same for every trainer) and, since PPO has no evaluation data of its own,
 * an evaluation function and its period.
 * @typeParam TTrainer - what `evaluate` receives: `PPOTrainer.train` takes
 *   `PPOTrainOptions<PPOTrainer>`. A parameter rather than an import keeps this file free of an
 *   import cycle with ppo-trainer.ts.
 */
export interface PPOTrainOptions<TTrainer = unknown> extends TrainOptions {
  /** Evaluation metrics, e.g. the mean score of `generateCompletions` on held-out prompts. */
  readonly evaluate?: (trainer: TTrainer) => Promise<Metrics>;
  /** Run `evaluate` every this many updates. @defaultValue undefined (never during training) */
  readonly evalEvery?: number;
}
