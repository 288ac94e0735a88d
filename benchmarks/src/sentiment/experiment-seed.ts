import { evalKey, METRIC_NAMES } from '@dpo-ts/core';
import { mixSeeds } from '@dpo-ts/core/training';
import { trainEvalSplit } from '@dpo-ts/core/data';
import { type GPT, type SentimentSentence, SFTTrainer, type Tokenizer } from '@dpo-ts/lm';
import type { SequenceRewardModel } from '@dpo-ts/reward';
import { throwIfAborted } from './abort.js';
import { type ComputeCost, secondsSince, ZERO_COST } from './compute-cost.js';
import type { SentimentExperimentConfig } from './experiment-config.js';
import { drawPrompts } from './frontier-data.js';
import { findLevers, type Lever, leverCandidates } from './gaming-check.js';
import { neutralSuffixCopies } from './labeler-augmentation.js';
import { progressTo } from './log-stream.js';
import { measureMethod, type MeasureOptions, type MethodMeasurement } from './measure-method.js';
import type { MethodInput } from './method-registry.js';
import { type GroundTruthReward, sampleGroundTruthPairs } from './preference-pairs.js';
import { trainFrontierRewardModel } from './reward-model.js';
import { trainSentimentClassifier } from './sentiment-classifier.js';
import { mean } from './statistics.js';

/** One sweep setting's validation result. */
export interface ValidationResult {
  readonly setting: string;
  readonly labeler: number;
  readonly kl: number;
  readonly realWordRate: number;
  /** Why it was passed over for losing English, empty when not. */
  readonly flags: readonly string[];
}

/** A method row of one seed: the sweep on validation, then the chosen setting on test. */
export interface SeedMethodResult {
  readonly name: string;
  readonly labelQueries: number | null;
  readonly chosen: string;
  readonly validation: readonly ValidationResult[];
  readonly test: MethodMeasurement;
  /** The chosen setting's own cost (training, or nothing for best-of-N, whose sampling is its evaluation). */
  readonly cost: ComputeCost;
  /** Every setting of the sweep together. */
  readonly sweepCost: ComputeCost;
  readonly details: Readonly<Record<string, number>>;
  /** Share of the test labeler gain over SFT that deleting this seed's levers removes. */
  readonly leverShare: number;
}

/** What the preparation of a seed measured, before any method: the labeler, SFT, the pairs, the levers. */
export interface SeedBaseline {
  readonly seed: number;
  /** The labeler's accuracy on the seed's test sentences and on its training sentences. */
  readonly labeler: {
    readonly heldOutAccuracy: number;
    readonly trainAccuracy: number;
    readonly testSentences: number;
  };
  /** The SFT stage: its cost and the held-out review loss (nats/token) before and after. */
  readonly sft: { readonly cost: ComputeCost; readonly lossBefore: number; readonly lossAfter: number };
  /** The label budget spent: pairs made, prompts without a pair, labels, mean labeler gap, cost. */
  readonly pairs: {
    readonly count: number;
    readonly skippedPrompts: number;
    readonly labelQueries: number;
    readonly meanRewardGap: number;
    readonly cost: ComputeCost;
  };
  /** The labeler's strongest single-token levers on SFT validation samples. */
  readonly levers: readonly Lever[];
  /** SFT measured on the test prompts (the reference of every gain). */
  readonly sftTest: MethodMeasurement;
  /** Seconds the preparation took (split, labeler, SFT stage, pairs, SFT measurements, levers). */
  readonly wallSeconds: number;
}

/** Everything one seed measured. */
export interface SeedResult extends SeedBaseline {
  /** The seed's reward model's held-out pair accuracy, when a method used it. */
  readonly rewardModelAccuracy: number | null;
  /** What training the reward model cost, when a method used it. */
  readonly rewardModelCost: ComputeCost | null;
  /** Every method row, in registry order, at its chosen setting. */
  readonly methods: readonly SeedMethodResult[];
}

/** What all seeds share: the pretrained base, the sentences, the config. */
export interface ExperimentShared {
  readonly pretrained: GPT;
  readonly tokenizer: Tokenizer;
  readonly sentences: readonly SentimentSentence[];
  readonly config: SentimentExperimentConfig;
  readonly dictionary: ReadonlySet<string>;
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal | undefined;
}

/** A prepared seed: its baseline, and what every method of it trains and is measured with. */
export interface SeedPreparation {
  readonly baseline: SeedBaseline;
  /** The SFT model, start and reference of every method (owned by the preparation). */
  readonly sft: GPT;
  readonly labeler: GroundTruthReward;
  readonly sftValidation: MethodMeasurement;
  /** The method input with a cell's own log and abort signal. */
  methodInput(log: (line: string) => void, signal?: AbortSignal): MethodInput;
  /** The measurement options of a phase (the same sampling seed for every method: common random numbers). */
  measure(phase: 'validation' | 'test'): MeasureOptions;
  /** The reward model's held-out accuracy and cost once a method trained it, else null. */
  rewardModelInfo(): { readonly accuracy: number; readonly cost: ComputeCost } | null;
  /** Frees the SFT model and the reward model. */
  dispose(): void;
}

/**
 * Prepares one seed of the experiment. The seed redraws everything below the committed base:
 * 1. the UCI sentences split into train / validation / test, and the prompts of each part;
 * 2. the labeler (bag-of-n-grams logistic regression) trained on the training sentences and
 *    their neutral-suffix copies, its accuracy on the test sentences;
 * 3. the SFT stage: the pretrained base fine-tuned on the training sentences;
 * 4. the label budget: `samplesPerPrompt` SFT samples of each training prompt, each labelled
 *    once; best vs worst of each prompt is a pair;
 * 5. SFT measured on validation and test prompts, and the gaming check's lever search on SFT
 *    validation samples.
 * Deterministic for a backend: a cell in another process prepares the same seed again and gets
 * the same SFT model and pairs. The caller disposes the preparation.
 */
export async function prepareSeed(shared: ExperimentShared, seed: number): Promise<SeedPreparation> {
  const started = performance.now();
  const { pretrained, tokenizer, config, log, signal } = shared;
  const data = config.data;
  const seedLog = (line: string) => log(`[seed ${seed}] ${line}`);

  // 1. Split and prompts.
  const outer = trainEvalSplit(shared.sentences, { evalSize: data.testSentences, seed: mixSeeds(seed, 21) });
  const inner = trainEvalSplit(outer.train, { evalSize: data.validationSentences, seed: mixSeeds(seed, 22) });
  const train = inner.train;
  const trainPrompts = drawPrompts(train, data.trainPrompts, data, mixSeeds(seed, 23));
  const validationPrompts = drawPrompts(inner.eval, data.validationPrompts, data, mixSeeds(seed, 24));
  const testPrompts = drawPrompts(outer.eval, data.testPrompts, data, mixSeeds(seed, 25));

  // 2. The labeler, on the training sentences and their neutral-suffix copies.
  const { neutralCopies, ...classifierOptions } = config.labeler;
  const classifier = trainSentimentClassifier(
    [...train, ...neutralSuffixCopies(train, neutralCopies, mixSeeds(seed, 20))],
    classifierOptions,
  );
  const labeler = (p: string, completion: string): number => classifier.logit(p + completion);
  const labelerInfo = {
    heldOutAccuracy: classifier.accuracy(outer.eval),
    trainAccuracy: classifier.accuracy(train),
    testSentences: outer.eval.length,
  };
  seedLog(
    `${train.length}/${inner.eval.length}/${outer.eval.length} sentences; labeler held-out accuracy ${labelerInfo.heldOutAccuracy.toFixed(3)}`,
  );

  // 3. SFT stage.
  const sft = pretrained.clone();
  let rewardModel: { model: SequenceRewardModel; accuracy: number; cost: ComputeCost } | undefined;
  let pending: Promise<SequenceRewardModel> | undefined;
  const dispose = () => {
    sft.dispose();
    rewardModel?.model.dispose();
  };
  try {
    const sftInfo = await trainSFTStage(shared, sft, train, outer.eval, seed, seedLog);
    throwIfAborted(signal);

    // 4. The label budget spent once: pairs from labelled SFT samples.
    const sampled = await sampleGroundTruthPairs(sft, tokenizer, trainPrompts, labeler, {
      samplesPerPrompt: data.samplesPerPrompt,
      maxNewTokens: data.maxNewTokens,
      seed: mixSeeds(seed, 27),
    });
    const pairSplit = trainEvalSplit(sampled.pairs, { evalFraction: 0.1, seed: mixSeeds(seed, 28) });
    const pairs = { train: pairSplit.train, heldOut: pairSplit.eval };
    seedLog(`${sampled.pairs.length} pairs from ${trainPrompts.length * data.samplesPerPrompt} labels`);

    // 5. SFT measured; levers: every single vocabulary token appended to SFT validation samples,
    // screened on 8 samples (the labeler costs ~0.5 ms a call), the most promising re-measured on all.
    const measure = (phase: 'validation' | 'test'): MeasureOptions => ({
      sft,
      pretrained,
      tokenizer,
      prompts: phase === 'validation' ? validationPrompts : testPrompts,
      samplesPerPrompt: data.evalSamplesPerPrompt,
      maxNewTokens: data.maxNewTokens,
      labeler,
      dictionary: shared.dictionary,
      seed: mixSeeds(seed, phase === 'validation' ? 29 : 30),
    });
    const sftValidation = await measureMethod(undefined, measure('validation'));
    const sftTest = await measureMethod(undefined, measure('test'));
    const leverSamples = sftValidation.samples.slice(0, config.gaming.samples);
    const screened = findLevers(leverSamples.slice(0, 8), labeler, leverCandidates(tokenizer));
    const shortlist = screened.slice(0, 4 * config.gaming.levers).map((lever) => lever.text);
    const levers = findLevers(leverSamples, labeler, shortlist).slice(0, config.gaming.levers);
    seedLog(`levers: ${levers.map((l) => `${JSON.stringify(l.text)} +${l.meanDelta.toFixed(2)}`).join(', ')}`);

    const baseline: SeedBaseline = {
      seed,
      labeler: labelerInfo,
      sft: sftInfo,
      pairs: {
        count: sampled.pairs.length,
        skippedPrompts: sampled.skipped,
        labelQueries: trainPrompts.length * data.samplesPerPrompt,
        meanRewardGap: mean(sampled.pairs.map((p) => p.chosenReward - p.rejectedReward)),
        cost: sampled.cost,
      },
      levers,
      sftTest,
      wallSeconds: secondsSince(started),
    };
    return {
      baseline,
      sft,
      labeler,
      sftValidation,
      measure,
      rewardModelInfo: () =>
        rewardModel === undefined ? null : { accuracy: rewardModel.accuracy, cost: rewardModel.cost },
      methodInput: (cellLog, cellSignal) => {
        const log = (line: string) => cellLog(`[seed ${seed}] ${line}`);
        return {
          context: { base: sft, tokenizer, seed: mixSeeds(seed, 31), log, signal: cellSignal },
          pairs,
          trainPrompts,
          labeler,
          config,
          // Trained once per preparation, on first use, whichever cell asks first.
          rewardModel: () => {
            pending ??= trainFrontierRewardModel({
              base: sft,
              tokenizer,
              train: pairs.train,
              heldOut: pairs.heldOut,
              config: config.methods.rewardModel,
              seed: mixSeeds(seed, 32),
              log,
              signal: cellSignal,
            }).then((trained) => {
              rewardModel = { model: trained.model, accuracy: trained.heldOutAccuracy, cost: trained.cost };
              return trained.model;
            });
            return pending;
          },
        };
      },
      dispose,
    };
  } catch (error) {
    dispose();
    throw error;
  }
}

/** The SFT stage: `sft` (a clone of the base) fine-tuned in place on the training sentences. */
async function trainSFTStage(
  shared: ExperimentShared,
  sft: GPT,
  train: readonly SentimentSentence[],
  heldOut: readonly SentimentSentence[],
  seed: number,
  log: (line: string) => void,
): Promise<SeedBaseline['sft']> {
  const started = performance.now();
  const { config } = shared;
  const sftTrainer = await SFTTrainer.create({
    model: sft,
    tokenizer: shared.tokenizer,
    trainDataset: train.map((s) => ({ text: s.text })),
    evalDataset: heldOut.slice(0, 64).map((s) => ({ text: s.text })),
    config: {
      totalSteps: config.sft.steps,
      learningRate: config.sft.learningRate,
      lrSchedule: 'cosine',
      warmupSteps: Math.min(10, Math.floor(config.sft.steps / 4)),
      perDeviceTrainBatchSize: config.sft.batchSize,
      perDeviceEvalBatchSize: 32,
      packing: true,
      seed: mixSeeds(seed, 26),
    },
  });
  try {
    const lossBefore = (await sftTrainer.evaluate())[evalKey(METRIC_NAMES.loss)]!;
    await sftTrainer.train({
      progress: progressTo(log, 'SFT stage (reviews)', [METRIC_NAMES.loss], Math.max(1, config.sft.steps / 4)),
      signal: shared.signal,
    });
    const lossAfter = (await sftTrainer.evaluate())[evalKey(METRIC_NAMES.loss)]!;
    log(`SFT stage: held-out review loss ${lossBefore.toFixed(3)} -> ${lossAfter.toFixed(3)} nats/token`);
    const sequences = config.sft.steps * config.sft.batchSize;
    return {
      cost: {
        ...ZERO_COST,
        wallSeconds: secondsSince(started),
        forwardSequences: sequences,
        backwardSequences: sequences,
      },
      lossBefore,
      lossAfter,
    };
  } finally {
    sftTrainer.dispose();
  }
}
