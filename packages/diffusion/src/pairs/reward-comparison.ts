import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, requireInteger } from '@dpo-ts/core';
import { mixSeeds, Rng } from '@dpo-ts/core/training';
import type { Denoiser } from '../denoiser.js';
import { ddimSample } from '../ddim-sampler.js';
import type { NoiseSchedule } from '../noise-schedule.js';
import { imageSize } from '../dpo/image-preference-dataset.js';
import type { ImageReward } from '../rewards/image-reward.js';

/** Options of {@link compareRewards}. */
export interface CompareRewardsOptions {
  /** One image per entry from each model: the condition it is sampled for. */
  readonly conditions: readonly number[];
  /** Scores each sample given its condition (a held-out classifier, a compressibility rule, ...). */
  readonly reward: ImageReward;
  /** Seed of the initial noise (call b uses `Rng(mixSeeds(seed, b))`, the same for both models). */
  readonly seed: number;
  /** DDIM steps. @defaultValue 50 */
  readonly numSteps?: number;
  /** @defaultValue 1 */
  readonly guidanceScale?: number;
  /** Images per sampler call. @defaultValue 128 */
  readonly batchSize?: number;
}

/** Rewards of two models' samples from the same initial noise. */
export interface RewardComparison {
  /** Reward of each baseline sample, in `conditions` order. */
  readonly baselineRewards: Float32Array;
  /** Reward of each candidate sample. */
  readonly candidateRewards: Float32Array;
  /** Mean of `baselineRewards`. */
  readonly baselineMean: number;
  /** Mean of `candidateRewards`. */
  readonly candidateMean: number;
  /** Fraction of conditions where the candidate's sample has the higher reward; ties count 1/2. */
  readonly winRate: number;
  /** The samples, `[n, h, w, c]` flattened, for grids. */
  readonly baselineImages: Float32Array;
  /** The candidate's samples, same layout as `baselineImages`. */
  readonly candidateImages: Float32Array;
}

/**
 * Samples one image per condition from `baseline` (say the reference) and `candidate` (the
 * aligned model) with deterministic DDIM (eta 0) from the *same* initial noise, and compares
 * their rewards: means, and the candidate's win rate over paired samples. Same noise makes the
 * comparison paired (the two images usually share their layout) and lowers its variance.
 */
export async function compareRewards(
  baseline: Denoiser,
  candidate: Denoiser,
  schedule: NoiseSchedule,
  options: CompareRewardsOptions,
): Promise<RewardComparison> {
  const { conditions, reward } = options;
  if (!Array.isArray(conditions) || conditions.length === 0)
    throw new InvalidArgumentError('options.conditions', 'a non-empty array of class labels', conditions);
  if (baseline.imageShape.join() !== candidate.imageShape.join()) {
    throw new InvalidArgumentError(
      'candidate.imageShape',
      `[${baseline.imageShape.join(', ')}] (the baseline's)`,
      `[${candidate.imageShape.join(', ')}]`,
    );
  }
  const batchSize = requireInteger('options.batchSize', options.batchSize ?? 128, { min: 1 });
  const size = imageSize(baseline.imageShape);
  const [height, width, channels] = baseline.imageShape;
  const images = {
    baseline: new Float32Array(conditions.length * size),
    candidate: new Float32Array(conditions.length * size),
  };
  const rewards = { baseline: new Float32Array(conditions.length), candidate: new Float32Array(conditions.length) };
  for (let start = 0, call = 0; start < conditions.length; start += batchSize, call++) {
    const labels = conditions.slice(start, start + batchSize);
    for (const [side, model] of [
      ['baseline', baseline],
      ['candidate', candidate],
    ] as const) {
      const result = ddimSample(model, schedule, {
        labels,
        rng: new Rng(mixSeeds(options.seed, call)),
        numSteps: options.numSteps ?? 50,
        guidanceScale: options.guidanceScale ?? 1,
      });
      const data = (await result.images.data()) as Float32Array;
      tf.dispose(result.images);
      images[side].set(data, start * size);
      labels.forEach((condition, i) => {
        rewards[side][start + i] = reward(
          { data: data.subarray(i * size, (i + 1) * size), height, width, channels },
          condition,
        );
      });
    }
  }
  let wins = 0;
  rewards.candidate.forEach((r, i) => {
    wins += r > rewards.baseline[i]! ? 1 : r === rewards.baseline[i]! ? 0.5 : 0;
  });
  const mean = (values: Float32Array): number => values.reduce((a, b) => a + b, 0) / values.length;
  return {
    baselineRewards: rewards.baseline,
    candidateRewards: rewards.candidate,
    baselineMean: mean(rewards.baseline),
    candidateMean: mean(rewards.candidate),
    winRate: wins / conditions.length,
    baselineImages: images.baseline,
    candidateImages: images.candidate,
  };
}
