import * as tf from '@tensorflow/tfjs-core';
import {
  compareRewards,
  type Denoiser,
  type DigitClassifier,
  type ImageReward,
  type NoiseSchedule,
} from '@dpo-ts/diffusion';
import { labelAccuracy, pairedWinRate } from './aggregate.js';

/** How every model is evaluated: the same conditions and initial noise for all. */
export interface EvaluationProtocol {
  readonly schedule: NoiseSchedule;
  readonly reward: ImageReward;
  /** Digit per evaluation sample (i % 10). */
  readonly conditions: readonly number[];
  /** Seed of the initial noise (compareRewards: call b uses `Rng(mixSeeds(seed, b))`). */
  readonly seed: number;
  /** DDIM steps, eta 0. */
  readonly numSteps: number;
  /** The quality guard: reads each sample as a digit. */
  readonly classifier: DigitClassifier;
}

/** A model's samples against the base's, from the same noise. */
export interface EvaluationResult {
  readonly meanReward: number;
  readonly baseMeanReward: number;
  readonly winRate: number;
  readonly winRateStandardError: number;
  readonly digitAccuracy: number;
  readonly baseDigitAccuracy: number;
  /** The model's samples, `[n, 28, 28, 1]` flattened, for grids. */
  readonly images: Float32Array;
  readonly baseImages: Float32Array;
}

/** `n` images `[n, h, w, c]` flattened, classified in batches of 500; no tensor survives. */
export function classifyImages(classifier: DigitClassifier, images: Float32Array, count: number): Int32Array {
  const [h, w, c] = classifier.config.imageShape;
  const size = h * w * c;
  const predicted = new Int32Array(count);
  for (let start = 0; start < count; start += 500) {
    const end = Math.min(count, start + 500);
    const batch = tf.tensor4d(images.subarray(start * size, end * size), [end - start, h, w, c]);
    try {
      predicted.set(classifier.predict(batch), start);
    } finally {
      batch.dispose();
    }
  }
  return predicted;
}

/**
 * Samples `model` and `base` with deterministic DDIM from the same noise (diffusion's
 * `compareRewards`), and measures mean rewards, the paired win rate with its standard error,
 * and the digit classifier's accuracy on both sets of samples (the guard against reward hacking:
 * a sample that stops looking like its digit is caught here even when its reward rose).
 */
export async function evaluateAgainstBase(
  base: Denoiser,
  model: Denoiser,
  protocol: EvaluationProtocol,
): Promise<EvaluationResult> {
  const { conditions } = protocol;
  const comparison = await compareRewards(base, model, protocol.schedule, {
    conditions,
    reward: protocol.reward,
    seed: protocol.seed,
    numSteps: protocol.numSteps,
    batchSize: 250,
  });
  const { winRate, standardError } = pairedWinRate(comparison.candidateRewards, comparison.baselineRewards);
  return {
    meanReward: comparison.candidateMean,
    baseMeanReward: comparison.baselineMean,
    winRate,
    winRateStandardError: standardError,
    digitAccuracy: labelAccuracy(
      classifyImages(protocol.classifier, comparison.candidateImages, conditions.length),
      conditions,
    ),
    baseDigitAccuracy: labelAccuracy(
      classifyImages(protocol.classifier, comparison.baselineImages, conditions.length),
      conditions,
    ),
    images: comparison.candidateImages,
    baseImages: comparison.baselineImages,
  };
}
