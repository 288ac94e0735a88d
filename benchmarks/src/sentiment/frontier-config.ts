/** Optimiser steps, rows per step and peak learning rate of one training run. */
export interface StepsConfig {
  readonly steps: number;
  readonly batchSize: number;
  readonly learningRate: number;
}

/** PPO settings (one run). */
export interface PPOSettings extends StepsConfig {
  /** Passes over each rollout batch. */
  readonly numPpoEpochs: number;
}

/** How review openings are cut from sentences (see `drawPrompts`). */
export interface PromptConfig {
  /** Prompt prefixes have a word count drawn uniformly from [minPromptWords, maxPromptWords]... */
  readonly minPromptWords: number;
  readonly maxPromptWords: number;
  /** ...and are cut to at most this many characters (words dropped from the end). */
  readonly maxPromptChars: number;
}
