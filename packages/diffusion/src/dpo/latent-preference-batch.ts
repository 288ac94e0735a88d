import { requireInteger, requireNumber } from '@dpo-ts/core';
import type { ImageShape } from '../denoiser.js';
import { drawExample } from '../training/example-draws.js';
import type { CaptionLatentPreferences } from './caption-latent-preferences.js';
import type { PairDrawOptions } from './diffusion-preference-batch.js';
import { imageSize } from './image-preference-dataset.js';

/**
 * One batch of latent Diffusion-DPO: latent pairs, their captions' token ids and the randomness
 * policy and reference share, drawn once per pair (the caption-conditioned twin of
 * {@link DiffusionPreferenceBatch}). Host data only; the scorer makes its tensors.
 *
 * Shapes: `chosen`, `rejected`, `noise` `[numPairs, h, w, c]` flattened; `tokenIds`
 * `[numPairs * maxLength]`; per-pair arrays `[numPairs]`.
 */
export interface LatentPreferenceBatch {
  /** Pairs in the batch. */
  readonly numPairs: number;
  /** `[h, w, c]` of every latent and noise sample. */
  readonly latentShape: ImageShape;
  /** Scaled latents z_w of the preferred images, `[numPairs, h, w, c]` flattened. */
  readonly chosen: Float32Array;
  /** Scaled latents z_l of the dispreferred images, `[numPairs, h, w, c]` flattened. */
  readonly rejected: Float32Array;
  /** The captions' token ids, `maxLength` per pair, `[numPairs * maxLength]`. */
  readonly tokenIds: Int32Array;
  /** Token ids per caption; must equal the text encoder's `config.maxLength`. */
  readonly maxLength: number;
  /** 1 where classifier-free-guidance dropout replaces the caption by the null embedding. */
  readonly dropCaption: Uint8Array;
  /** One timestep per pair, shared by chosen and rejected. */
  readonly timesteps: Int32Array;
  /** One noise per pair, shared by chosen and rejected. */
  readonly noise: Float32Array;
  /** Stable id of each pair's draw (`train/17`, `train/17@2`), for the reference-score cache. */
  readonly keys: readonly string[];
}

/** How the per-pair draws are made: {@link PairDrawOptions} without a null class (captions drop to the null embedding). */
export type LatentPairDrawOptions = Omit<PairDrawOptions, 'nullClass'>;

/**
 * Builds the batch of the pairs at `indices` with the same per-pair draws as the class-
 * conditioned {@link buildDiffusionPreferenceBatch} (`drawExample`: t, dropout, then eps, from
 * the stream of (seed, round, index)), so caches, resumes and the two trainers agree on which
 * randomness a pair gets.
 */
export function buildLatentPreferenceBatch(
  dataset: CaptionLatentPreferences,
  indices: readonly number[],
  draws: LatentPairDrawOptions,
): LatentPreferenceBatch {
  requireInteger('draws.seed', draws.seed, { min: 0, max: 2 ** 32 - 1 });
  requireInteger('draws.round', draws.round, { min: 0 });
  requireInteger('draws.numTimesteps', draws.numTimesteps, { min: 1 });
  requireNumber('draws.cfgDropProb', draws.cfgDropProb, { min: 0, max: 1 });
  requireInteger('indices.length', indices.length, { min: 1 });
  const size = imageSize(dataset.latentShape);
  const { maxLength } = dataset;
  const n = indices.length;
  const chosen = new Float32Array(n * size);
  const rejected = new Float32Array(n * size);
  const noise = new Float32Array(n * size);
  const tokenIds = new Int32Array(n * maxLength);
  const dropCaption = new Uint8Array(n);
  const timesteps = new Int32Array(n);
  const keys: string[] = [];
  indices.forEach((index, i) => {
    requireInteger(`indices[${i}]`, index, { min: 0, max: dataset.count - 1 });
    chosen.set(dataset.chosen.subarray(index * size, (index + 1) * size), i * size);
    rejected.set(dataset.rejected.subarray(index * size, (index + 1) * size), i * size);
    tokenIds.set(dataset.tokenIds.subarray(index * maxLength, (index + 1) * maxLength), i * maxLength);
    const draw = drawExample(
      draws.seed,
      draws.round,
      index,
      draws.numTimesteps,
      draws.cfgDropProb,
      noise.subarray(i * size, (i + 1) * size),
    );
    timesteps[i] = draw.timestep;
    dropCaption[i] = draw.dropLabel ? 1 : 0;
    keys.push(`${draws.keyPrefix ?? ''}${index}${draws.round === 0 ? '' : `@${draws.round}`}`);
  });
  return {
    numPairs: n,
    latentShape: dataset.latentShape,
    chosen,
    rejected,
    tokenIds,
    maxLength,
    dropCaption,
    timesteps,
    noise,
    keys,
  };
}

/** Every pair of `dataset` in order, in batches of `batchSize` (the last may be smaller), with `draws`. */
export function orderedLatentPreferenceBatches(
  dataset: CaptionLatentPreferences,
  batchSize: number,
  draws: LatentPairDrawOptions,
): LatentPreferenceBatch[] {
  requireInteger('batchSize', batchSize, { min: 1 });
  return Array.from({ length: Math.ceil(dataset.count / batchSize) }, (_, b) =>
    buildLatentPreferenceBatch(
      dataset,
      Array.from({ length: Math.min(batchSize, dataset.count - b * batchSize) }, (_, i) => b * batchSize + i),
      draws,
    ),
  );
}
