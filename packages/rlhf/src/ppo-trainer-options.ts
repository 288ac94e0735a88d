import type { Metrics } from '@dpo-ts/core';
import type { TrainOptions } from '@dpo-ts/core/training';
import type { GPT, Tokenizer } from '@dpo-ts/lm';
import type { ScalarHead } from '@dpo-ts/reward';
import type { PromptExample } from './group/group-trainer-options.js';
import type { PPOConfig } from './ppo-config.js';
import type { RewardSource } from './reward-source.js';

/**
 * What a {@link PPOTrainer} trains, against what: the shape every dpo-ts trainer shares (`model`,
 * `referenceModel`, `trainDataset`, `evalDataset`). The earlier names `policy`, `reference` and
 * `prompts` still work for one release; `train()` then reports each through `onWarning`.
 */
export interface PPOTrainerOptions {
  /** The policy; all its weights are trained. Required (or the deprecated `policy`). */
  readonly model?: GPT;
  /** The frozen reference π_ref. @defaultValue a clone of `model` at construction (owned by the trainer) */
  readonly referenceModel?: GPT;
  /**
   * A separate value backbone (TRL's `value_model`, e.g. the reward model's backbone), trained
   * with the value loss. Omitted: the value head sits on the policy's backbone (TRL v1's
   * `AutoModelForCausalLMWithValueHead`), so the value loss also shapes the policy's features.
   */
  readonly critic?: GPT;
  /** The value head. @defaultValue a zero-initialised `ScalarHead` with bias, named `value_head` (owned) */
  readonly valueHead?: ScalarHead;
  /** Encodes the prompts and decodes the completions; its vocabulary must match the policy's. */
  readonly tokenizer: Tokenizer;
  /** Prompts to sample from (`{ prompt }` records: core's `loadPromptJsonl`). Required (or the deprecated `prompts`). */
  readonly trainDataset?: readonly PromptExample[];
  /** Held-out prompts for {@link PPOTrainer.evaluate} (and `evalSteps`). @defaultValue none */
  readonly evalDataset?: readonly PromptExample[];
  /** A reward function `(prompt, completion) => number` or a batch scorer (`rewardModelScorer`). */
  readonly reward: RewardSource;
  /** The PPO settings (TRL's `PPOConfig` names, camel-cased), resolved once at construction. */
  readonly config: PPOConfig;
  /** @deprecated use `model`. */
  readonly policy?: GPT;
  /** @deprecated use `referenceModel`. */
  readonly reference?: GPT;
  /** @deprecated use `trainDataset` (`prompts.map((prompt) => ({ prompt }))`). */
  readonly prompts?: readonly string[];
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
  /** Evaluation metrics. @defaultValue the trainer's `evaluate()` when it has an `evalDataset` */
  readonly evaluate?: (trainer: TTrainer) => Promise<Metrics>;
  /** Run `evaluate` every this many updates. @defaultValue `config.evalSteps` (never when unset) */
  readonly evalEvery?: number;
}
