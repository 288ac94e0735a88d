import type { BenchmarkMode } from '../harness/benchmark.js';
import type { SentimentClassifierOptions } from './sentiment-classifier.js';

/** Optimiser steps, rows per step and the fixed hyper-parameters of a training run. */
export interface TrainingSteps {
  readonly steps: number;
  readonly batchSize: number;
}

/** The UCI sentences of one seed, split three ways, and the prompts drawn from each part. */
export interface ExperimentDataConfig {
  /** Sentences held out for test prompts and the labeler's held-out accuracy. */
  readonly testSentences: number;
  /** Sentences held out for validation prompts (the sweep's choice). */
  readonly validationSentences: number;
  /** Training-split prompts whose SFT samples the labeler ranks into pairs (also PPO's prompts). */
  readonly trainPrompts: number;
  readonly validationPrompts: number;
  readonly testPrompts: number;
  /** Prompt prefixes: a word count drawn from [minPromptWords, maxPromptWords], at most maxPromptChars. */
  readonly minPromptWords: number;
  readonly maxPromptWords: number;
  readonly maxPromptChars: number;
  /** Longest sampled completion, tokens (EOS included). */
  readonly maxNewTokens: number;
  /** SFT samples per training prompt, all labelled; best vs worst form the pair. */
  readonly samplesPerPrompt: number;
  /** Evaluation samples per validation and test prompt (>= 4). */
  readonly evalSamplesPerPrompt: number;
}

/** Each method's sweep axes and training length. */
export interface ExperimentMethodsConfig {
  /** Learning rates every trained method sweeps (the same list for all). */
  readonly learningRates: readonly number[];
  /** DPO (sigmoid loss): one row per beta, the learning rate swept. */
  readonly dpoBetas: readonly number[];
  /** Other core losses (IPO's tau, hinge's beta...): one row per loss, beta swept with the rate. */
  readonly otherLosses: readonly ('ipo' | 'hinge')[];
  readonly otherLossBetas: readonly number[];
  /** Preference-data methods (DPO, IPO, hinge, Preferred-FT, Unlikelihood). */
  readonly preference: TrainingSteps;
  /** Unlikelihood's weight alpha, swept with the rate. */
  readonly unlikelihoodAlphas: readonly number[];
  /** PPO's KL coefficients, swept with the rate; its steps follow from the label budget. */
  readonly ppoKlCoefs: readonly number[];
  /** PPO rollouts per step (steps = label budget / batchSize for the labeler-reward variant). */
  readonly ppoBatchSize: number;
  readonly ppoEpochs: number;
  /** Steps of PPO with the learned reward model (no label queries: its labels are the pairs'). */
  readonly ppoRewardModelSteps: number;
  /** RLOO's and GRPO's KL coefficient beta (TRL's `beta`), swept with the rate. */
  readonly groupKlCoefs: readonly number[];
  /** RLOO's and GRPO's completions per prompt (TRL's `num_generations`), >= 2. */
  readonly numGenerations: number;
  /**
   * Completions each on-policy step samples and labels (RLOO, GRPO; online DPO samples this many
   * as half as many pairs): steps = label budget / onPolicyBatchSize.
   */
  readonly onPolicyBatchSize: number;
  /** Online DPO's beta (sigmoid loss), swept with the rate. */
  readonly onlineDpoBetas: readonly number[];
  /** The learned Bradley-Terry reward model (PPO-RM, best-of-N by the reward model). */
  readonly rewardModel: TrainingSteps & { readonly learningRate: number };
  /** Best-of-N sizes, by the reward model and by the labeler (the oracle frontier). */
  readonly bestOfN: readonly number[];
  /** Method rows to run (names of the registry), in order; SFT is always first. */
  readonly include: readonly string[];
}

/** Everything a run does, per mode. */
export interface SentimentExperimentConfig {
  /**
   * Test seeds: fresh seeds that run every method at the setting the sweep chose and give every
   * reported number. The sweep runs on one more seed before them (the selection seed). Each seed
   * redraws the split, the prompts, the pairs, training and sampling.
   */
  readonly seeds: number;
  readonly data: ExperimentDataConfig;
  /** The SFT stage: the committed base fine-tuned on the seed's training-split review sentences. */
  readonly sft: TrainingSteps & { readonly learningRate: number };
  readonly labeler: SentimentClassifierOptions & {
    /**
     * Copies of each training sentence, cut to a word prefix and ended with 1-3 neutral tokens
     * (`neutralSuffixCopies`), added to the labeler's training set so that appending " and" or
     * "!" stops moving its logit much; 0 for none.
     */
    readonly neutralCopies: number;
  };
  readonly methods: ExperimentMethodsConfig;
  /** SFT samples the gaming check appends each candidate token to, and levers reported. */
  readonly gaming: { readonly samples: number; readonly levers: number };
  readonly bootstrapResamples: number;
}

const DATA: ExperimentDataConfig = {
  testSentences: 600,
  validationSentences: 300,
  trainPrompts: 256,
  validationPrompts: 48,
  testPrompts: 128,
  minPromptWords: 2,
  maxPromptWords: 6,
  maxPromptChars: 32,
  maxNewTokens: 24,
  samplesPerPrompt: 4,
  evalSamplesPerPrompt: 4,
};

/** Every method row the experiment knows, in report order (full mode runs them all). */
export const ALL_METHODS = [
  'DPO',
  'IPO',
  'hinge',
  'PPO (labeler reward)',
  'PPO (reward model)',
  'RLOO',
  'GRPO',
  'Online DPO',
  'Preferred-FT',
  'Unlikelihood',
  'Best-of-N (reward model)',
  'Best-of-N (labeler oracle)',
] as const;

const SMOKE: SentimentExperimentConfig = {
  seeds: 1,
  data: {
    ...DATA,
    trainPrompts: 8,
    validationPrompts: 4,
    testPrompts: 6,
    maxNewTokens: 8,
    evalSamplesPerPrompt: 4,
  },
  sft: { steps: 2, batchSize: 4, learningRate: 1e-4 },
  labeler: { iterations: 40, neutralCopies: 2 },
  methods: {
    learningRates: [1e-4],
    dpoBetas: [0.1],
    otherLosses: ['ipo'],
    otherLossBetas: [0.1],
    preference: { steps: 2, batchSize: 4 },
    unlikelihoodAlphas: [0.5],
    ppoKlCoefs: [0.1],
    ppoBatchSize: 8,
    ppoEpochs: 1,
    ppoRewardModelSteps: 1,
    groupKlCoefs: [0.1],
    numGenerations: 2,
    onPolicyBatchSize: 16,
    onlineDpoBetas: [0.1],
    rewardModel: { steps: 2, batchSize: 4, learningRate: 3e-4 },
    bestOfN: [2],
    include: ALL_METHODS,
  },
  gaming: { samples: 8, levers: 4 },
  bootstrapResamples: 200,
};

const QUICK: SentimentExperimentConfig = {
  seeds: 1,
  data: { ...DATA, trainPrompts: 128, validationPrompts: 16, testPrompts: 64 },
  sft: { steps: 16, batchSize: 8, learningRate: 1e-4 },
  labeler: { neutralCopies: 2 },
  methods: {
    learningRates: [1e-4, 3e-4],
    dpoBetas: [0.1],
    otherLosses: ['ipo'],
    otherLossBetas: [0.1],
    preference: { steps: 24, batchSize: 8 },
    unlikelihoodAlphas: [0.5],
    ppoKlCoefs: [0.1],
    ppoBatchSize: 16,
    ppoEpochs: 2,
    ppoRewardModelSteps: 8,
    groupKlCoefs: [0.1],
    numGenerations: 4,
    onPolicyBatchSize: 16,
    onlineDpoBetas: [0.1],
    rewardModel: { steps: 16, batchSize: 8, learningRate: 3e-4 },
    bestOfN: [4],
    include: ['DPO', 'Best-of-N (labeler oracle)'],
  },
  gaming: { samples: 64, levers: 6 },
  bootstrapResamples: 2000,
};

/** Five test seeds, every method, two learning rates by two settings of each knob on the selection seed. Not run in CI. */
const FULL: SentimentExperimentConfig = {
  seeds: 5,
  data: DATA,
  sft: { steps: 60, batchSize: 16, learningRate: 1e-4 },
  labeler: { neutralCopies: 2 },
  methods: {
    learningRates: [1e-4, 3e-4],
    dpoBetas: [0.05, 0.1, 0.5],
    otherLosses: ['ipo', 'hinge'],
    otherLossBetas: [0.1, 0.5],
    preference: { steps: 64, batchSize: 16 },
    unlikelihoodAlphas: [0.1, 1],
    ppoKlCoefs: [0.05, 0.2],
    ppoBatchSize: 16,
    ppoEpochs: 4,
    ppoRewardModelSteps: 64,
    groupKlCoefs: [0.05, 0.2],
    numGenerations: 4,
    onPolicyBatchSize: 16,
    onlineDpoBetas: [0.1, 0.5],
    rewardModel: { steps: 64, batchSize: 16, learningRate: 3e-4 },
    bestOfN: [4, 16],
    include: ALL_METHODS,
  },
  gaming: { samples: 256, levers: 8 },
  bootstrapResamples: 4000,
};

/** The preset of each mode. */
export const SENTIMENT_EXPERIMENT_CONFIGS: Readonly<Record<BenchmarkMode, SentimentExperimentConfig>> = Object.freeze({
  smoke: SMOKE,
  quick: QUICK,
  full: FULL,
});

/** The label budget of a run: every training prompt's samples, each labelled once (DPO's pairs). */
export function labelBudget(config: SentimentExperimentConfig): number {
  return config.data.trainPrompts * config.data.samplesPerPrompt;
}
