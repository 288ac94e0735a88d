import { mixSeeds } from '@dpo-ts/core/training';
import type { BenchmarkContext, BenchmarkMode } from '../harness/benchmark.js';

/** A reward the comparison aligns to; its function lives in `rewards.ts`. */
export type ComparisonRewardId = 'jpeg-compressibility' | 'jpeg-incompressibility';

/**
 * Sizes of one diffusion-comparison run. Every method of a (reward, seed) cell starts from the
 * same base checkpoint; Diffusion-DPO and both SFT runs train on the same pairs with the same
 * optimiser budget (`trainSteps` x `batchSize`), DDPO samples its own trajectories.
 */
export interface DiffusionComparisonSettings {
  /** Training seeds (pairs, draws, data order, DDPO sampling); results are reported per seed and as mean ± sd. */
  readonly seeds: number;
  readonly rewards: readonly ComparisonRewardId[];
  /** Conditions sampled for pairs (two images each, i % 10 as digit); 10% are held out for DPO's implicit accuracy. */
  readonly pairs: number;
  /** DDIM steps (eta 0) for pairs and evaluation samples; DDPO samples and trains with the same count. */
  readonly samplingSteps: number;
  /** Diffusion-DPO betas (on score = -0.5 mse, the official `beta_dpo` scale). */
  readonly betas: readonly number[];
  /** Optimiser steps of Diffusion-DPO and of each SFT run. */
  readonly trainSteps: number;
  /** Pairs (DPO) or images (SFT) per step. */
  readonly batchSize: number;
  /** Peak AdamW learning rate of DPO and SFT (the example's 1e-5). */
  readonly learningRate: number;
  /** DDPO steps (sampling rounds). */
  readonly ddpoSteps: number;
  /** DDPO trajectories per step. */
  readonly ddpoSamplesPerStep: number;
  /** DDPO trajectories per optimiser update. */
  readonly ddpoTrainBatchSize: number;
  readonly ddpoLearningRate: number;
  /** Evaluation samples per model (one per fixed noise seed, digits i % 10). */
  readonly evalSamples: number;
  /**
   * Epochs of digit-classifier training on the held-out real digits (epochs, not seconds, so
   * the guard is the same model on every machine; 20 epochs: validation accuracy 0.89, ~13 s).
   */
  readonly classifierEpochs: number;
}

/**
 * Per mode. `quick` is this benchmark's ~4-minute share of the 15-minute suite; `full` matches
 * DDPO's sampled images to the pair images (2 x pairs) and runs three seeds and two rewards.
 */
export const DIFFUSION_COMPARISON_SETTINGS: Readonly<Record<BenchmarkMode, DiffusionComparisonSettings>> =
  Object.freeze({
    smoke: {
      seeds: 1,
      rewards: ['jpeg-compressibility'],
      pairs: 160,
      samplingSteps: 10,
      betas: [5000],
      trainSteps: 8,
      batchSize: 16,
      learningRate: 1e-5,
      ddpoSteps: 2,
      ddpoSamplesPerStep: 32,
      ddpoTrainBatchSize: 16,
      ddpoLearningRate: 1e-5,
      evalSamples: 100,
      classifierEpochs: 2,
    },
    quick: {
      seeds: 1,
      rewards: ['jpeg-compressibility'],
      pairs: 4000,
      samplingSteps: 10,
      betas: [2500, 5000],
      trainSteps: 225,
      batchSize: 16,
      learningRate: 1e-5,
      ddpoSteps: 30,
      ddpoSamplesPerStep: 64,
      ddpoTrainBatchSize: 16,
      ddpoLearningRate: 1e-5,
      evalSamples: 1000,
      classifierEpochs: 20,
    },
    full: {
      seeds: 3,
      rewards: ['jpeg-compressibility', 'jpeg-incompressibility'],
      pairs: 8000,
      samplingSteps: 10,
      betas: [2500, 5000, 10000],
      trainSteps: 450,
      batchSize: 16,
      learningRate: 1e-5,
      ddpoSteps: 250,
      ddpoSamplesPerStep: 64,
      ddpoTrainBatchSize: 16,
      ddpoLearningRate: 1e-5,
      evalSamples: 2000,
      classifierEpochs: 20,
    },
  });

/**
 * The training seeds of a run: the runner's `context.seeds` first, in order, then (when it gave
 * fewer than `count`) seeds derived from `context.seed` with `mixSeeds(seed, 0x5eed, i)`, so a
 * run never silently measures fewer seeds than its mode asks for. Duplicates are skipped.
 */
export function comparisonSeeds(context: Pick<BenchmarkContext, 'seed' | 'seeds'>, count: number): number[] {
  const seeds: number[] = [];
  for (const seed of context.seeds) {
    if (seeds.length === count) return seeds;
    if (!seeds.includes(seed)) seeds.push(seed);
  }
  for (let i = 0; seeds.length < count; i++) {
    const derived = mixSeeds(context.seed, 0x5eed, i);
    if (!seeds.includes(derived)) seeds.push(derived);
  }
  return seeds;
}

/**
 * The seed of the evaluation noise: fixed per run (from `context.seed`), independent of the
 * training seed, so every method of every seed is compared with the base on the same initial
 * noise and the base's numbers are identical across seeds.
 */
export function evaluationSeed(runSeed: number): number {
  return mixSeeds(runSeed, 0xe7a1);
}

/** The seed of seed `trainingSeed`'s pair sampling for `reward`, apart from every trainer's stream. */
export function pairSamplingSeed(trainingSeed: number, rewardIndex: number): number {
  return mixSeeds(trainingSeed, 0xa1b5, rewardIndex);
}
