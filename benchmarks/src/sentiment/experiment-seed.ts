import { evalKey, METRIC_NAMES, mixSeeds, trainEvalSplit } from '@dpo-ts/core';
import { type GPT, type SentimentSentence, SFTTrainer, type Tokenizer } from '@dpo-ts/lm';
import type { SequenceRewardModel } from '@dpo-ts/reward';
import { throwIfAborted } from './abort.js';
import { addCosts, type ComputeCost, secondsSince, ZERO_COST } from './compute-cost.js';
import type { SentimentExperimentConfig } from './experiment-config.js';
import { drawPrompts } from './frontier-data.js';
import type { MethodContext } from './frontier-point.js';
import { findLevers, type Lever, leverShareOfGain } from './gaming-check.js';
import { progressTo } from './log-stream.js';
import { measureMethod, type MeasureOptions, type MethodMeasurement } from './measure-method.js';
import type { ExperimentMethod, MethodInput, MethodOutcome, SweepSetting } from './method-registry.js';
import { sampleGroundTruthPairs } from './preference-pairs.js';
import { SENTIMENT_ORACLES } from './oracles.js';
import { englishLossFlags } from './quality-guards.js';
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

/** Everything one seed measured. */
export interface SeedResult {
  readonly seed: number;
  readonly labeler: {
    readonly heldOutAccuracy: number;
    readonly trainAccuracy: number;
    readonly testSentences: number;
  };
  readonly sft: { readonly cost: ComputeCost; readonly lossBefore: number; readonly lossAfter: number };
  readonly pairs: {
    readonly count: number;
    readonly skippedPrompts: number;
    readonly labelQueries: number;
    readonly meanRewardGap: number;
    readonly cost: ComputeCost;
  };
  readonly rewardModelAccuracy: number | null;
  /** What training the reward model cost, when a method used it. */
  readonly rewardModelCost: ComputeCost | null;
  readonly levers: readonly Lever[];
  readonly sftTest: MethodMeasurement;
  readonly methods: readonly SeedMethodResult[];
  readonly wallSeconds: number;
}

/** What all seeds share: the pretrained base, the sentences, the config, the method rows. */
export interface ExperimentShared {
  readonly pretrained: GPT;
  readonly tokenizer: Tokenizer;
  readonly sentences: readonly SentimentSentence[];
  readonly config: SentimentExperimentConfig;
  readonly methods: readonly ExperimentMethod[];
  readonly dictionary: ReadonlySet<string>;
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal | undefined;
}

/**
 * One seed of the experiment. The seed redraws everything below the committed base:
 * 1. the UCI sentences split into train / validation / test, and the prompts of each part;
 * 2. the labeler (bag-of-n-grams logistic regression) trained on the training sentences, its
 *    accuracy on the test sentences;
 * 3. the SFT stage: the pretrained base fine-tuned on the training sentences;
 * 4. the label budget: `samplesPerPrompt` SFT samples of each training prompt, each labelled
 *    once; best vs worst of each prompt is a pair;
 * 5. the gaming check's lever search on SFT validation samples;
 * 6. each method row: every sweep setting trained and measured on the validation prompts; the
 *    best labeler reward among settings that keep their English (else the best) is measured on
 *    the test prompts with a sampling seed no setting was chosen with.
 */
export async function runExperimentSeed(shared: ExperimentShared, seed: number): Promise<SeedResult> {
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

  // 2. The labeler.
  const classifier = trainSentimentClassifier(train, config.labeler);
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
  const sftStarted = performance.now();
  const sft = pretrained.clone();
  const sftTrainer = await SFTTrainer.create({
    model: sft,
    tokenizer,
    trainDataset: train.map((s) => ({ text: s.text })),
    evalDataset: outer.eval.slice(0, 64).map((s) => ({ text: s.text })),
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
  let rewardModel: SequenceRewardModel | undefined;
  try {
    const lossBefore = (await sftTrainer.evaluate())[evalKey(METRIC_NAMES.loss)]!;
    await sftTrainer.train({
      progress: progressTo(seedLog, 'SFT stage (reviews)', [METRIC_NAMES.loss], Math.max(1, config.sft.steps / 4)),
      signal,
    });
    const lossAfter = (await sftTrainer.evaluate())[evalKey(METRIC_NAMES.loss)]!;
    const sftSequences = config.sft.steps * config.sft.batchSize;
    const sftInfo = {
      cost: {
        ...ZERO_COST,
        wallSeconds: secondsSince(sftStarted),
        forwardSequences: sftSequences,
        backwardSequences: sftSequences,
      },
      lossBefore,
      lossAfter,
    };
    sftTrainer.dispose();
    seedLog(`SFT stage: held-out review loss ${lossBefore.toFixed(3)} -> ${lossAfter.toFixed(3)} nats/token`);
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

    // 5. Levers: every single vocabulary token appended to SFT validation samples, screened on
    // 8 samples (the labeler costs ~0.5 ms a call), the most promising re-measured on all.
    const leverSamples = sftValidation.samples.slice(0, config.gaming.samples);
    const screened = findLevers(leverSamples.slice(0, 8), labeler, leverCandidates(tokenizer));
    const shortlist = screened.slice(0, 4 * config.gaming.levers).map((lever) => lever.text);
    const levers = findLevers(leverSamples, labeler, shortlist).slice(0, config.gaming.levers);
    seedLog(`levers: ${levers.map((l) => `${JSON.stringify(l.text)} +${l.meanDelta.toFixed(2)}`).join(', ')}`);

    // 6. Methods.
    let rewardModelAccuracy: number | null = null;
    let rewardModelCost: ComputeCost | null = null;
    const context: MethodContext<GPT, Tokenizer> = {
      base: sft,
      tokenizer,
      seed: mixSeeds(seed, 31),
      log: seedLog,
      signal,
    };
    const input: MethodInput = {
      context,
      pairs,
      trainPrompts,
      labeler,
      config,
      rewardModel: async () => {
        if (rewardModel === undefined) {
          const trained = await trainFrontierRewardModel({
            base: sft,
            tokenizer,
            train: pairs.train,
            heldOut: pairs.heldOut,
            config: config.methods.rewardModel,
            seed: mixSeeds(seed, 32),
            log: seedLog,
            signal,
          });
          rewardModel = trained.model;
          rewardModelAccuracy = trained.heldOutAccuracy;
          rewardModelCost = trained.cost;
        }
        return rewardModel;
      },
    };
    const methods: SeedMethodResult[] = [];
    for (const method of shared.methods) {
      const result = await runSweep(method, input, sftValidation, measure);
      const sftMean = mean(sftTest.perPrompt.labeler);
      const leverTexts = levers.map((lever) => lever.text);
      methods.push({
        ...result,
        leverShare: leverShareOfGain(result.test.samples, sftMean, labeler, leverTexts).share,
      });
      const last = methods.at(-1)!;
      seedLog(
        `${last.name} (${last.chosen}): test labeler ${mean(last.test.perPrompt.labeler).toFixed(3)} vs SFT ${mean(sftTest.perPrompt.labeler).toFixed(3)}, KL ${last.test.kl.toFixed(2)}`,
      );
      throwIfAborted(signal);
    }
    return {
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
      rewardModelAccuracy,
      rewardModelCost,
      levers,
      sftTest,
      methods,
      wallSeconds: secondsSince(started),
    };
  } finally {
    sft.dispose();
    (rewardModel as SequenceRewardModel | undefined)?.dispose();
  }
}

/** The sweep of one row on validation prompts, then the chosen setting on test prompts. */
async function runSweep(
  method: ExperimentMethod,
  input: MethodInput,
  sftValidation: MethodMeasurement,
  measure: (phase: 'validation' | 'test') => MeasureOptions,
): Promise<Omit<SeedMethodResult, 'leverShare'>> {
  const validation: ValidationResult[] = [];
  let best: { setting: SweepSetting; outcome: MethodOutcome; score: number; flagged: boolean } | undefined;
  let sweepCost = ZERO_COST;
  const release = (outcome: MethodOutcome) => {
    if (outcome.kind === 'policy') outcome.policy.dispose();
  };
  try {
    for (const setting of method.sweep) {
      const outcome = await method.run(input, setting);
      sweepCost = addCosts(sweepCost, outcome.cost);
      const measured =
        method.sweep.length === 1
          ? undefined
          : await measureMethod(
              outcome.kind === 'policy' ? { policy: outcome.policy } : { selector: outcome.selector },
              measure('validation'),
            );
      const score = measured === undefined ? 0 : mean(measured.perPrompt.labeler);
      const flags = measured === undefined ? [] : englishLossFlags(measured.guards, sftValidation.guards);
      if (measured !== undefined)
        validation.push({
          setting: setting.label,
          labeler: score,
          kl: measured.kl,
          realWordRate: measured.guards.realWordRate,
          flags,
        });
      const flagged = flags.length > 0;
      const better =
        best === undefined || (best.flagged && !flagged) || (best.flagged === flagged && score > best.score);
      if (better) {
        if (best !== undefined) release(best.outcome);
        best = { setting, outcome, score, flagged };
      } else release(outcome);
    }
    const chosen = best!;
    const test = await measureMethod(
      chosen.outcome.kind === 'policy' ? { policy: chosen.outcome.policy } : { selector: chosen.outcome.selector },
      measure('test'),
    );
    return {
      name: method.name,
      labelQueries: method.labelQueries,
      chosen: chosen.setting.label,
      validation,
      test,
      cost: chosen.outcome.cost,
      sweepCost,
      details: chosen.outcome.kind === 'policy' ? chosen.outcome.details : {},
    };
  } finally {
    if (best !== undefined) release(best.outcome);
  }
}

/**
 * The candidates of the lever search: every vocabulary token that decodes to printable text and
 * that neither oracle scores on its own. A token such as " great" raises the labeler because it
 * is positive, which is no gaming; a lever is a token that moves the labeler while carrying no
 * sentiment an independent scorer sees (" and", "!" for a bag-of-n-grams classifier).
 */
export function leverCandidates(tokenizer: Pick<Tokenizer, 'vocabSize' | 'decode'>): string[] {
  const candidates: string[] = [];
  for (let id = 0; id < tokenizer.vocabSize; id++) {
    const text = tokenizer.decode([id]);
    if (text.trim().length === 0 || text.includes('\uFFFD') || /[\n\r\t]/.test(text)) continue;
    if (SENTIMENT_ORACLES.every((oracle) => oracle.score(text) === 0)) candidates.push(text);
  }
  return candidates;
}
