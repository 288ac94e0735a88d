import { requireInteger, requireNumber } from '@dpo-ts/core';
import type { ImageShape } from '../denoiser.js';
import { drawExample } from '../training/example-draws.js';
import { imageSize, type ImagePreferenceDataset } from './image-preference-dataset.js';

/**
 * One batch of Diffusion-DPO: image pairs with the randomness that policy and reference must
 * share, drawn once when the batch is built (so reference scores can be cached per pair).
 * Everything is host data: the scorer makes the tensors inside its own `tf.tidy`, so a batch
 * owns no tensor and needs no disposal.
 *
 * Shapes: images and noise are NHWC `[numPairs, h, w, c]` flattened, in [-1, 1] for images;
 * per-pair arrays have length `numPairs`.
 */
export interface DiffusionPreferenceBatch {
  /** Pairs in the batch. */
  readonly numPairs: number;
  /** `[h, w, c]` of every image and noise sample. */
  readonly imageShape: ImageShape;
  /** Preferred images x_w. */
  readonly chosen: Float32Array;
  /** Dispreferred images x_l. */
  readonly rejected: Float32Array;
  /** The condition of each pair (class label), as in the data. */
  readonly conditions: Int32Array;
  /**
   * What the denoiser is conditioned on: `conditions`, with the pairs picked by
   * classifier-free-guidance dropout replaced by the null class (the same label for chosen,
   * rejected, policy and reference).
   */
  readonly labels: Int32Array;
  /** One timestep t in [0, T) per pair, shared by chosen and rejected. */
  readonly timesteps: Int32Array;
  /** One noise eps per pair, standard normal, shared by chosen and rejected. */
  readonly noise: Float32Array;
  /** Stable id of each pair's draw, for the reference-score cache. */
  readonly keys: readonly string[];
}

/** How the per-pair randomness of {@link buildDiffusionPreferenceBatch} is drawn. */
export interface PairDrawOptions {
  /** Run seed. */
  readonly seed: number;
  /**
   * Which draw: 0 for draws fixed per pair (reference caching, evaluation), the epoch for fresh
   * draws every epoch (the official code draws t and eps afresh at every step).
   */
  readonly round: number;
  /** T: timesteps are uniform in [0, T). */
  readonly numTimesteps: number;
  /** Probability of replacing a pair's label by `nullClass`; 0 for evaluation. */
  readonly cfgDropProb: number;
  /** The denoiser's unconditional label. */
  readonly nullClass: number;
  /** Prefix of the cache keys (`'train/'`, `'eval/'`). @defaultValue '' */
  readonly keyPrefix?: string;
}

/**
 * Builds the batch of the pairs at `indices`, drawing for each pair with {@link drawExample}
 * (its own stream `Rng(mixSeeds(seed, round, index))`): the timestep t ~ U{0..T-1}, the label
 * dropout (uniform < cfgDropProb), then the noise eps ~ N(0, I). The draws of a pair depend only
 * on (seed, round, index), never on its batch or position, so caches and resumed runs agree.
 *
 * Sharing t and eps between x_w and x_l is what Diffusion-DPO does (Wallace et al. 2023, Eq. 14;
 * the official code chunks the noise and timesteps of the concatenated batch and repeats the
 * first half). Label dropout is drawn here rather than inside the scorer because the reference
 * must see the same (dropped) label as the policy, as in the official code, where captions are
 * emptied during preprocessing (`proportion_empty_prompts`).
 *
 * Cache key of pair `index`: `${keyPrefix}${index}` for round 0, `${keyPrefix}${index}@${round}` otherwise.
 */
export function buildDiffusionPreferenceBatch(
  dataset: ImagePreferenceDataset,
  indices: readonly number[],
  draws: PairDrawOptions,
): DiffusionPreferenceBatch {
  requireInteger('draws.seed', draws.seed, { min: 0, max: 2 ** 32 - 1 });
  requireInteger('draws.round', draws.round, { min: 0 });
  requireInteger('draws.numTimesteps', draws.numTimesteps, { min: 1 });
  requireNumber('draws.cfgDropProb', draws.cfgDropProb, { min: 0, max: 1 });
  requireInteger('indices.length', indices.length, { min: 1 });
  const size = imageSize(dataset.imageShape);
  const n = indices.length;
  const chosen = new Float32Array(n * size);
  const rejected = new Float32Array(n * size);
  const noise = new Float32Array(n * size);
  const conditions = new Int32Array(n);
  const labels = new Int32Array(n);
  const timesteps = new Int32Array(n);
  const keys: string[] = [];
  indices.forEach((index, i) => {
    requireInteger(`indices[${i}]`, index, { min: 0, max: dataset.count - 1 });
    chosen.set(dataset.chosen.subarray(index * size, (index + 1) * size), i * size);
    rejected.set(dataset.rejected.subarray(index * size, (index + 1) * size), i * size);
    const draw = drawExample(
      draws.seed,
      draws.round,
      index,
      draws.numTimesteps,
      draws.cfgDropProb,
      noise.subarray(i * size, (i + 1) * size),
    );
    timesteps[i] = draw.timestep;
    conditions[i] = dataset.labels[index]!;
    labels[i] = draw.dropLabel ? draws.nullClass : dataset.labels[index]!;
    keys.push(`${draws.keyPrefix ?? ''}${index}${draws.round === 0 ? '' : `@${draws.round}`}`);
  });
  return { numPairs: n, imageShape: dataset.imageShape, chosen, rejected, conditions, labels, timesteps, noise, keys };
}

/** Every pair of `dataset` in order, in batches of `batchSize` (the last may be smaller), with `draws`. */
export function orderedPreferenceBatches(
  dataset: ImagePreferenceDataset,
  batchSize: number,
  draws: PairDrawOptions,
): DiffusionPreferenceBatch[] {
  requireInteger('batchSize', batchSize, { min: 1 });
  return Array.from({ length: Math.ceil(dataset.count / batchSize) }, (_, b) =>
    buildDiffusionPreferenceBatch(
      dataset,
      Array.from({ length: Math.min(batchSize, dataset.count - b * batchSize) }, (_, i) => b * batchSize + i),
      draws,
    ),
  );
}
