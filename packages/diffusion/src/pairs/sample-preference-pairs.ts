import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, requireInteger, requireNumber } from '@dpo-ts/core';
import { mixSeeds, Rng } from '@dpo-ts/core/training';
import type { Denoiser } from '../denoiser.js';
import { ddimSample } from '../ddim-sampler.js';
import type { NoiseSchedule } from '../noise-schedule.js';
import { imageSize, type ImagePreferenceDataset } from '../dpo/image-preference-dataset.js';
import type { ImageReward } from '../rewards/image-reward.js';

/** Options of {@link samplePreferencePairs}. */
export interface SamplePreferencePairsOptions {
  /** One pair per entry: the condition (class label) both images are sampled for. */
  readonly conditions: readonly number[];
  /** Labels each image; the higher reward is chosen. A plain function `(image, condition) => number`. */
  readonly reward: ImageReward;
  /** Seed of every sampler call (call b draws from `Rng(mixSeeds(seed, b))`). */
  readonly seed: number;
  /** DDIM steps. @defaultValue 50 */
  readonly numSteps?: number;
  /** Classifier-free guidance scale w (1: plain conditional). @defaultValue 1 */
  readonly guidanceScale?: number;
  /** DDIM eta. @defaultValue 0 (deterministic given the initial noise) */
  readonly eta?: number;
  /**
   * Images sampled per condition; the best becomes `chosen`, the worst `rejected` (best-of-K vs
   * worst-of-K widens the reward gap of each pair, a common way to sharpen on-policy
   * preference data). @defaultValue 2
   */
  readonly samplesPerCondition?: number;
  /** Conditions per sampler call (samplesPerCondition x this many images). @defaultValue 64 */
  readonly batchSize?: number;
  /**
   * Pairs whose rewards differ by no more than this are dropped (ties carry no preference).
   * @defaultValue 0 (only exact ties are dropped)
   */
  readonly minRewardGap?: number;
  /** Called after each sampler call with pairs done and total. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** What {@link samplePreferencePairs} returns. */
export interface SampledPreferencePairs {
  /** The kept pairs, chosen = higher reward. */
  readonly pairs: ImagePreferenceDataset;
  /** Reward of each kept pair's chosen image. */
  readonly chosenRewards: Float32Array;
  /** Reward of each kept pair's rejected image. */
  readonly rejectedRewards: Float32Array;
  /** Index into `conditions` of each kept pair. */
  readonly sourceIndices: Int32Array;
  /** Pairs dropped as ties (reward gap <= minRewardGap). */
  readonly skipped: number;
  /** Mean reward over every sampled image (kept or not): the model's reward before alignment. */
  readonly meanReward: number;
}

/**
 * On-policy preference pairs from a diffusion model: for each condition, `samplesPerCondition`
 * images (2 by default) are sampled with DDIM (independent initial noise, seeded) and scored by
 * `reward`; the highest-reward image is `chosen` and the lowest `rejected`. This is how
 * AI-feedback Diffusion-DPO data is made (Wallace et al. 2023, Section 6, with a reward model
 * standing in for people) and what the compressibility example trains on. Sampling runs in batches; no tensor outlives a batch.
 */
export async function samplePreferencePairs(
  denoiser: Denoiser,
  schedule: NoiseSchedule,
  options: SamplePreferencePairsOptions,
): Promise<SampledPreferencePairs> {
  const { conditions, reward } = options;
  if (!Array.isArray(conditions) || conditions.length === 0)
    throw new InvalidArgumentError('options.conditions', 'a non-empty array of class labels', conditions);
  if (typeof reward !== 'function')
    throw new InvalidArgumentError('options.reward', 'a function (image, condition) => number', reward);
  requireInteger('options.seed', options.seed, { min: 0, max: 2 ** 32 - 1 });
  const batchSize = requireInteger('options.batchSize', options.batchSize ?? 64, { min: 1 });
  const minRewardGap = requireNumber('options.minRewardGap', options.minRewardGap ?? 0, { min: 0 });
  const k = requireInteger('options.samplesPerCondition', options.samplesPerCondition ?? 2, { min: 2 });
  const size = imageSize(denoiser.imageShape);
  const chosen: Float32Array[] = [];
  const rejected: Float32Array[] = [];
  const labels: number[] = [];
  const chosenRewards: number[] = [];
  const rejectedRewards: number[] = [];
  const sourceIndices: number[] = [];
  let rewardSum = 0;
  for (let start = 0, call = 0; start < conditions.length; start += batchSize, call++) {
    const slice = conditions.slice(start, start + batchSize);
    const sampleLabels = Array.from({ length: k }, () => slice).flat(); // image j of every condition, j = 0..k-1
    const result = ddimSample(denoiser, schedule, {
      labels: sampleLabels,
      rng: new Rng(mixSeeds(options.seed, call)),
      numSteps: options.numSteps ?? 50,
      guidanceScale: options.guidanceScale ?? 1,
      eta: options.eta ?? 0,
    });
    const images = (await result.images.data()) as Float32Array;
    tf.dispose([result.images, result.logProbs]);
    const shape = { height: denoiser.imageShape[0], width: denoiser.imageShape[1], channels: denoiser.imageShape[2] };
    slice.forEach((condition, i) => {
      const candidates = Array.from({ length: k }, (_, j) =>
        images.slice((j * slice.length + i) * size, (j * slice.length + i + 1) * size),
      );
      const rewards = candidates.map((data) => reward({ data, ...shape }, condition));
      if (!rewards.every(Number.isFinite)) {
        throw new InvalidArgumentError(
          'options.reward',
          'a function returning finite numbers',
          rewards,
          `condition ${condition}, pair ${start + i}`,
        );
      }
      rewardSum += rewards.reduce((a, b) => a + b, 0);
      // First best and first worst, so ties resolve to the earlier sample.
      const best = rewards.indexOf(Math.max(...rewards));
      const worst = rewards.indexOf(Math.min(...rewards));
      if (rewards[best]! - rewards[worst]! <= minRewardGap) return;
      chosen.push(candidates[best]!);
      rejected.push(candidates[worst]!);
      chosenRewards.push(rewards[best]!);
      rejectedRewards.push(rewards[worst]!);
      labels.push(condition);
      sourceIndices.push(start + i);
    });
    options.onProgress?.(Math.min(start + batchSize, conditions.length), conditions.length);
  }
  const join = (parts: Float32Array[]): Float32Array => {
    const out = new Float32Array(parts.length * size);
    parts.forEach((part, i) => {
      out.set(part, i * size);
    });
    return out;
  };
  return {
    pairs: {
      chosen: join(chosen),
      rejected: join(rejected),
      labels: Int32Array.from(labels),
      count: labels.length,
      imageShape: denoiser.imageShape,
    },
    chosenRewards: Float32Array.from(chosenRewards),
    rejectedRewards: Float32Array.from(rejectedRewards),
    sourceIndices: Int32Array.from(sourceIndices),
    skipped: conditions.length - labels.length,
    meanReward: rewardSum / (k * conditions.length),
  };
}
