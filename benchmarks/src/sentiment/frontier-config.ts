import type { BenchmarkMode } from '../harness/benchmark.js';
import type { SentimentClassifierOptions } from './sentiment-classifier.js';

/** The SFT base model: a character GPT pre-trained on Brown text, then fine-tuned on UCI reviews. */
export interface BaseModelConfig {
  readonly dModel: number;
  readonly nLayer: number;
  readonly nHead: number;
  readonly contextLength: number;
  /** Brown corpus texts (of 500) for pre-training. */
  readonly brownTexts: number;
  readonly pretrainSteps: number;
  readonly pretrainLearningRate: number;
  readonly sftSteps: number;
  readonly sftLearningRate: number;
  /** Rows (packed windows of `contextLength` characters) per step. */
  readonly batchSize: number;
}

/** Prompts, samples and preference pairs. */
export interface FrontierDataConfig {
  /** UCI sentences held out of SFT and classifier training (eval prompts, classifier accuracy). */
  readonly heldOutSentences: number;
  /** Training-split prompts whose samples become preference pairs (also PPO's prompts). */
  readonly pairPrompts: number;
  /** Held-out prompts every method is evaluated on (one sample each). */
  readonly evalPrompts: number;
  /** Prompt prefixes have a word count drawn uniformly from [minPromptWords, maxPromptWords]... */
  readonly minPromptWords: number;
  readonly maxPromptWords: number;
  /** ...and are cut to at most this many characters (words dropped from the end). */
  readonly maxPromptChars: number;
  /** Longest sampled completion, tokens (EOS included); BOS + prompt + this must fit the context. */
  readonly maxNewTokens: number;
  /** SFT samples per pair prompt; the best and the worst by ground truth form the pair. */
  readonly samplesPerPrompt: number;
  /** Share of the pairs held out (reward-model accuracy, DPO held-out metrics). */
  readonly pairEvalFraction: number;
}

/** Optimiser steps, rows per step and peak learning rate of one training run. */
export interface StepsConfig {
  readonly steps: number;
  readonly batchSize: number;
  readonly learningRate: number;
}

/** PPO settings shared by its ground-truth and reward-model variants. */
export interface PPOSettings extends StepsConfig {
  /** Passes over each rollout batch. */
  readonly numPpoEpochs: number;
  /** KL coefficients β of the ground-truth-reward runs (one frontier point each). */
  readonly groundTruthKlCoefs: readonly number[];
  /** KL coefficients β of the learned-reward-model runs. */
  readonly rewardModelKlCoefs: readonly number[];
}

/** Everything a run of the benchmark does, per mode. Part of it keys the base-model cache. */
export interface SentimentFrontierConfig {
  readonly base: BaseModelConfig;
  readonly data: FrontierDataConfig;
  readonly classifier: SentimentClassifierOptions;
  readonly rewardModel: StepsConfig;
  /** DPO (sigmoid loss, reference scores precomputed) at each beta. */
  readonly dpo: StepsConfig & { readonly betas: readonly number[] };
  readonly ppo: PPOSettings;
  /** Preferred-FT: SFT on the chosen completions. `null` skips it. */
  readonly preferredFT: StepsConfig | null;
  /** Unlikelihood at each weight alpha. Empty skips it. */
  readonly unlikelihood: StepsConfig & { readonly alphas: readonly number[] };
  /** Best-of-N sizes (samples of the SFT model per prompt, picked by the reward model). */
  readonly bestOfN: readonly number[];
}

const SMOKE: SentimentFrontierConfig = {
  base: {
    dModel: 32,
    nLayer: 2,
    nHead: 2,
    contextLength: 64,
    brownTexts: 10,
    pretrainSteps: 6,
    pretrainLearningRate: 3e-3,
    sftSteps: 6,
    sftLearningRate: 2e-3,
    batchSize: 8,
  },
  data: {
    heldOutSentences: 600,
    pairPrompts: 24,
    evalPrompts: 16,
    minPromptWords: 2,
    maxPromptWords: 8,
    maxPromptChars: 24,
    maxNewTokens: 16,
    samplesPerPrompt: 4,
    pairEvalFraction: 0.25,
  },
  classifier: { iterations: 60 },
  rewardModel: { steps: 2, batchSize: 8, learningRate: 3e-4 },
  dpo: { betas: [0.1], steps: 2, batchSize: 8, learningRate: 3e-4 },
  ppo: {
    steps: 1,
    batchSize: 8,
    learningRate: 1e-4,
    numPpoEpochs: 1,
    groundTruthKlCoefs: [0.1],
    rewardModelKlCoefs: [0.1],
  },
  preferredFT: { steps: 2, batchSize: 8, learningRate: 3e-4 },
  unlikelihood: { alphas: [0.5], steps: 2, batchSize: 8, learningRate: 3e-4 },
  bestOfN: [2, 4],
};

const QUICK: SentimentFrontierConfig = {
  base: {
    dModel: 64,
    nLayer: 3,
    nHead: 4,
    contextLength: 64,
    brownTexts: 80,
    pretrainSteps: 70,
    pretrainLearningRate: 3e-3,
    sftSteps: 70,
    sftLearningRate: 1e-3,
    batchSize: 32,
  },
  data: {
    heldOutSentences: 600,
    pairPrompts: 400,
    evalPrompts: 128,
    minPromptWords: 2,
    maxPromptWords: 8,
    maxPromptChars: 24,
    maxNewTokens: 40,
    samplesPerPrompt: 4,
    pairEvalFraction: 0.1,
  },
  classifier: {},
  rewardModel: { steps: 40, batchSize: 16, learningRate: 3e-4 },
  dpo: { betas: [0.1, 0.5], steps: 40, batchSize: 16, learningRate: 3e-4 },
  ppo: {
    steps: 12,
    batchSize: 16,
    learningRate: 1e-4,
    numPpoEpochs: 4,
    groundTruthKlCoefs: [0.1],
    rewardModelKlCoefs: [0.1],
  },
  preferredFT: { steps: 40, batchSize: 16, learningRate: 3e-4 },
  unlikelihood: { alphas: [0.5], steps: 40, batchSize: 16, learningRate: 3e-4 },
  bestOfN: [4, 16],
};

/**
 * Sized to finish in about 1 h 40 min on one core of a 2-core machine (wasm runs one thread):
 * the same model width as quick with one more layer and 7x its training, 2.5x the pairs, four
 * beta, two KL coefficients per PPO variant, best-of-32 and three seeds.
 */
const FULL: SentimentFrontierConfig = {
  base: {
    dModel: 64,
    nLayer: 4,
    nHead: 4,
    contextLength: 80,
    brownTexts: 300,
    pretrainSteps: 300,
    pretrainLearningRate: 3e-3,
    sftSteps: 200,
    sftLearningRate: 1e-3,
    batchSize: 32,
  },
  data: {
    heldOutSentences: 600,
    pairPrompts: 1000,
    evalPrompts: 256,
    minPromptWords: 2,
    maxPromptWords: 8,
    maxPromptChars: 32,
    maxNewTokens: 44,
    samplesPerPrompt: 4,
    pairEvalFraction: 0.1,
  },
  classifier: {},
  rewardModel: { steps: 150, batchSize: 16, learningRate: 3e-4 },
  dpo: { betas: [0.05, 0.1, 0.5, 1], steps: 120, batchSize: 16, learningRate: 3e-4 },
  ppo: {
    steps: 30,
    batchSize: 16,
    learningRate: 1e-4,
    numPpoEpochs: 4,
    groundTruthKlCoefs: [0.05, 0.2],
    rewardModelKlCoefs: [0.05, 0.2],
  },
  preferredFT: { steps: 120, batchSize: 16, learningRate: 3e-4 },
  unlikelihood: { alphas: [0.1, 1], steps: 120, batchSize: 16, learningRate: 3e-4 },
  bestOfN: [4, 16, 32],
};

/** The preset of each mode (see the benchmark's README section in docs for the sizes). */
export const SENTIMENT_FRONTIER_CONFIGS: Readonly<Record<BenchmarkMode, SentimentFrontierConfig>> = Object.freeze({
  smoke: SMOKE,
  quick: QUICK,
  full: FULL,
});
