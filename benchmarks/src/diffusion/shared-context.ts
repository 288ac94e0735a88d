import {
  MNIST_MLP_CHECKPOINT,
  NoiseSchedule,
  loadDenoiser,
  loadMnist,
  samplePreferencePairs,
  subsetImagePreferences,
  trainDigitClassifier,
  type Denoiser,
  type DigitClassifierTrainingResult,
  type ImagePreferenceDataset,
} from '@dpo-ts/diffusion';
import type { PairsRecord } from './tables.js';
import { COMPARISON_REWARDS } from './rewards.js';
import { pairSamplingSeed, type ComparisonRewardId, type DiffusionComparisonSettings } from './settings.js';

/** Fraction of each seed's pairs held out for Diffusion-DPO's implicit accuracy. */
export const EVAL_PAIR_FRACTION = 0.1;

/** What the cells of one process share: the base checkpoint, the schedule and the digit classifier. */
export interface ComparisonContext {
  readonly base: Denoiser;
  readonly schedule: NoiseSchedule;
  readonly classifier: DigitClassifierTrainingResult;
  /** Held-out real digits the classifier was trained on. */
  readonly heldOutCount: number;
}

/** A (reward, seed)'s pairs, split, with what {@link pairsTable} shows of them. */
export interface SeedPairs {
  readonly train: ImagePreferenceDataset;
  readonly eval: ImagePreferenceDataset;
  readonly record: PairsRecord;
}

let shared: { key: string; context: Promise<ComparisonContext> } | undefined;
const pairsCache = new Map<string, Promise<SeedPairs>>();

/**
 * The process's {@link ComparisonContext} for a classifier of `epochs` epochs and seed
 * `runSeed`, loaded on first use and kept until {@link releaseComparisonContext} (a different
 * classifier replaces it), so every cell of a run, in process or on a worker, shares it.
 */
export function comparisonContext(runSeed: number, epochs: number): Promise<ComparisonContext> {
  const key = JSON.stringify({ runSeed, epochs });
  if (shared?.key !== key) {
    const previous = shared?.context;
    const context = (async () => {
      const old = await previous?.catch(() => undefined);
      if (old !== undefined) disposeContext(old);
      return loadContext(runSeed, epochs);
    })();
    shared = { key, context };
    context.catch(() => {
      if (shared?.key === key) shared = undefined;
    });
  }
  return shared.context;
}

/** Disposes the process's context (if loaded) and forgets it and every cached pair set. */
export async function releaseComparisonContext(): Promise<void> {
  const loaded = shared;
  shared = undefined;
  pairsCache.clear();
  const context = await loaded?.context.catch(() => undefined);
  if (context !== undefined) disposeContext(context);
}

function disposeContext(context: ComparisonContext): void {
  context.classifier.classifier.dispose();
  context.base.dispose();
}

async function loadContext(runSeed: number, epochs: number): Promise<ComparisonContext> {
  const base = await loadDenoiser(MNIST_MLP_CHECKPOINT);
  const { heldOut } = await loadMnist();
  const classifier = trainDigitClassifier(heldOut, { epochs, seed: runSeed >>> 0 });
  return { base, schedule: new NoiseSchedule(), classifier, heldOutCount: heldOut.count };
}

/**
 * The (reward, seed)'s on-policy pairs (two DDIM samples of the base per condition, labelled by
 * the reward), sampled once per process and kept in memory; the key holds every input that
 * changes them. `record.seconds` is the time of the sampling that made them.
 */
export function seedPairs(
  context: ComparisonContext,
  reward: ComparisonRewardId,
  rewardIndex: number,
  seed: number,
  settings: DiffusionComparisonSettings,
  log: (line: string) => void,
): Promise<SeedPairs> {
  const key = JSON.stringify({ reward, rewardIndex, seed, pairs: settings.pairs, steps: settings.samplingSteps });
  let pairs = pairsCache.get(key);
  if (pairs === undefined) {
    pairs = makePairs(context, reward, rewardIndex, seed, settings, log);
    pairsCache.set(key, pairs);
    pairs.catch(() => pairsCache.delete(key));
  }
  return pairs;
}

async function makePairs(
  context: ComparisonContext,
  reward: ComparisonRewardId,
  rewardIndex: number,
  seed: number,
  settings: DiffusionComparisonSettings,
  log: (line: string) => void,
): Promise<SeedPairs> {
  const started = performance.now();
  let lastLine = started;
  const sampled = await samplePreferencePairs(context.base, context.schedule, {
    conditions: Array.from({ length: settings.pairs }, (_, i) => i % 10),
    reward: COMPARISON_REWARDS[reward].reward,
    seed: pairSamplingSeed(seed, rewardIndex),
    numSteps: settings.samplingSteps,
    batchSize: 100,
    onProgress: (done, total) => {
      if (performance.now() - lastLine < 15_000 && done < total) return;
      lastLine = performance.now();
      log(`pairs ${done}/${total}`);
    },
  });
  const seconds = (performance.now() - started) / 1000;
  const evalCount = Math.max(1, Math.round(sampled.pairs.count * EVAL_PAIR_FRACTION));
  const indices = Array.from({ length: sampled.pairs.count }, (_, i) => i);
  const train = subsetImagePreferences(sampled.pairs, indices.slice(evalCount));
  const evalPairs = subsetImagePreferences(sampled.pairs, indices.slice(0, evalCount));
  const mean = (values: Float32Array): number => values.reduce((a, b) => a + b, 0) / values.length;
  return {
    train,
    eval: evalPairs,
    record: {
      reward,
      seed,
      kept: sampled.pairs.count,
      ties: sampled.skipped,
      train: train.count,
      eval: evalPairs.count,
      meanChosenReward: mean(sampled.chosenRewards),
      meanRejectedReward: mean(sampled.rejectedRewards),
      baseMeanReward: sampled.meanReward,
      seconds,
    },
  };
}
