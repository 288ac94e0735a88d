import type { PromptRecord } from '@dpo-ts/core/data';
import type { GPT, Tokenizer } from '@dpo-ts/lm';
import type { RewardSource } from '../reward-source.js';

/** A prompt to sample completions for: core's `loadPromptJsonl` records, or any `{ prompt }`. */
export type PromptExample = Pick<PromptRecord, 'prompt'>;

/** What an RLOO or GRPO trainer trains, against what: the shape every dpo-ts trainer shares. */
export interface GroupTrainerOptions<TConfig> {
  /** The policy; all its weights are trained in place. */
  readonly model: GPT;
  /**
   * The frozen reference π_ref (used when `beta` > 0). Must not be `model` itself.
   * @defaultValue a clone of `model` at construction when `beta` > 0 (owned by the trainer)
   */
  readonly referenceModel?: GPT;
  /** Encodes the prompts and decodes the completions; its vocabulary must match the model's. */
  readonly tokenizer: Tokenizer;
  /** Prompts to sample from; each step draws `promptsPerStep` of them (reshuffled each epoch, seeded). */
  readonly trainDataset: readonly PromptExample[];
  /** Held-out prompts for {@link GroupTrainerBase.evaluate}. @defaultValue none */
  readonly evalDataset?: readonly PromptExample[];
  /** A reward function `(prompt, completion) => number` or a batch scorer (`rewardModelScorer`). */
  readonly reward: RewardSource;
  /** The trainer's settings (TRL's `GRPOConfig` / `RLOOConfig` names, camel-cased), resolved once at construction. */
  readonly config: TConfig;
}
