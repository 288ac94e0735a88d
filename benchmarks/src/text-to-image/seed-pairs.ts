import * as tf from '@tensorflow/tfjs-core';
import { mixSeeds, Rng } from '@dpo-ts/core/training';
import { labelPairs, type CaptionLatentPreferences, type CaptionPreferenceLabel } from '@dpo-ts/diffusion';
import { seedCaptions, type T2IContext } from './context.js';
import { samplerOf } from './evaluate-model.js';
import { samplePairedImages } from './sampler.js';
import { T2I_LABELERS, type T2ILabeler, type T2ISettings } from './settings.js';

/**
 * One seed's pairs: two base images per training caption (the same sampler as everything else),
 * labelled once by each labeler (so both labelers get the same label budget: 2 scores per pair).
 * Latents are the autoencoder's scaled posterior means of the images, what Diffusion-DPO trains on.
 */
export interface SeedPairs {
  readonly captions: readonly string[];
  /** `[pairs, 8, 8, 4]` scaled latents of image 0 and of image 1. */
  readonly latents0: Float32Array;
  readonly latents1: Float32Array;
  /** `[h, w, c]` of the latents. */
  readonly latentShape: readonly [number, number, number];
  /** Per labeler, Pick-a-Pic's `label_0` of each pair (1: image 0 preferred; 0.5: a tie, dropped). */
  readonly labels: Readonly<Record<T2ILabeler, readonly CaptionPreferenceLabel[]>>;
  /** Per labeler, its score of image 0 and of image 1 (DDPO's reward scale). */
  readonly scores: Readonly<Record<T2ILabeler, { readonly image0: number[]; readonly image1: number[] }>>;
  readonly sampleSeconds: number;
}

const PAIR_NOISE = 6;
const cache = new Map<string, Promise<SeedPairs>>();

/**
 * The seed's {@link SeedPairs}, made once per process and kept in memory (the key holds every
 * setting that changes them: seed, pair count, sampler), so the cells of one seed share them.
 */
export function seedPairs(context: T2IContext, seed: number, settings: T2ISettings): Promise<SeedPairs> {
  const key = JSON.stringify({ seed, pairs: settings.pairs, sampler: samplerOf(settings) });
  let pairs = cache.get(key);
  if (pairs === undefined) {
    pairs = makeSeedPairs(context, seed, settings);
    cache.set(key, pairs);
    pairs.catch(() => cache.delete(key));
  }
  return pairs;
}

async function makeSeedPairs(context: T2IContext, seed: number, settings: T2ISettings): Promise<SeedPairs> {
  const started = performance.now();
  const captions = seedCaptions(context, seed, settings).pairs;
  // Image 2i and 2i + 1 show caption i, from different noise.
  const doubled = captions.flatMap((caption) => [caption, caption]);
  const images = await samplePairedImages(
    context.base.model,
    context.base.autoencoder,
    context.schedule,
    doubled,
    mixSeeds(seed, PAIR_NOISE),
    samplerOf(settings),
  );
  const sampleSeconds = (performance.now() - started) / 1000;
  const size = 32 * 32 * 3;
  const unlabelled = captions.map((caption, i) => ({
    caption,
    image0: images.subarray(2 * i * size, (2 * i + 1) * size),
    image1: images.subarray((2 * i + 1) * size, (2 * i + 2) * size),
  }));
  const labels = {} as Record<T2ILabeler, CaptionPreferenceLabel[]>;
  const scores = {} as Record<T2ILabeler, { image0: number[]; image1: number[] }>;
  for (const labeler of T2I_LABELERS) {
    const records = await labelPairs(context.labelers[labeler], unlabelled, [32, 32, 3]);
    labels[labeler] = records.map((record) => record.label0);
    scores[labeler] = {
      image0: records.map((record) => record.extra?.score_0 as number),
      image1: records.map((record) => record.extra?.score_1 as number),
    };
  }
  const { autoencoder, scalingFactor } = context.base.autoencoder;
  const latentSize = autoencoder.latentShape.reduce((a, b) => a * b, 1);
  const latents = new Float32Array(doubled.length * latentSize);
  for (let start = 0; start < doubled.length; start += 64) {
    const n = Math.min(64, doubled.length - start);
    const encoded = tf.tidy(() =>
      tf.mul(
        autoencoder.encodeMean(tf.tensor4d(images.subarray(start * size, (start + n) * size), [n, 32, 32, 3])),
        scalingFactor,
      ),
    );
    latents.set(await encoded.data(), start * latentSize);
    encoded.dispose();
  }
  const side = (offset: number) => {
    const out = new Float32Array(captions.length * latentSize);
    captions.forEach((_, i) => {
      out.set(latents.subarray((2 * i + offset) * latentSize, (2 * i + offset + 1) * latentSize), i * latentSize);
    });
    return out;
  };
  return {
    captions,
    latents0: side(0),
    latents1: side(1),
    latentShape: autoencoder.latentShape,
    labels,
    scores,
    sampleSeconds,
  };
}

/** Forgets every seed's pairs (after a run, with the context). */
export function clearSeedPairs(): void {
  cache.clear();
}

/** Which labels a Diffusion-DPO run trains on: the labeler's, a permutation of them, or all reversed. */
export type LabelVariant = 'real' | 'shuffled' | 'flipped';

/**
 * The labels a run trains on, ties (0.5) dropped first as Diffusion-DPO drops Pick-a-Pic's:
 * `real` as labelled; `shuffled` the same labels permuted over the kept pairs (Fisher-Yates
 * with `Rng(mixSeeds(seed, 7))`: the same share of "image 0 wins", no link to the images);
 * `flipped` every label reversed.
 * @returns the kept pair indices and whether image 0 is the chosen one, per kept pair.
 */
export function variantLabels(
  labels: readonly CaptionPreferenceLabel[],
  variant: LabelVariant,
  seed: number,
): { indices: number[]; imageZeroChosen: boolean[] } {
  const indices = labels.flatMap((label, i) => (label === 0.5 ? [] : [i]));
  const chosen = indices.map((i) => labels[i] === 1);
  if (variant === 'flipped') return { indices, imageZeroChosen: chosen.map((c) => !c) };
  if (variant === 'shuffled') {
    const rng = new Rng(mixSeeds(seed, 7));
    for (let k = chosen.length - 1; k > 0; k--) {
      const pick = rng.int(k + 1);
      [chosen[k], chosen[pick]] = [chosen[pick]!, chosen[k]!];
    }
  }
  return { indices, imageZeroChosen: chosen };
}

/** The kept pairs as Diffusion-DPO's latent dataset, under a label variant. */
export function preferenceLatents(
  pairs: SeedPairs,
  labeler: T2ILabeler,
  variant: LabelVariant,
  seed: number,
  tokenize: (captions: readonly string[]) => Int32Array,
  maxLength: number,
): CaptionLatentPreferences {
  const { indices, imageZeroChosen } = variantLabels(pairs.labels[labeler], variant, seed);
  const latentSize = pairs.latents0.length / pairs.captions.length;
  const chosen = new Float32Array(indices.length * latentSize);
  const rejected = new Float32Array(indices.length * latentSize);
  indices.forEach((pair, k) => {
    const [win, lose] = imageZeroChosen[k] ? [pairs.latents0, pairs.latents1] : [pairs.latents1, pairs.latents0];
    chosen.set(win.subarray(pair * latentSize, (pair + 1) * latentSize), k * latentSize);
    rejected.set(lose.subarray(pair * latentSize, (pair + 1) * latentSize), k * latentSize);
  });
  const captions = indices.map((pair) => pairs.captions[pair]!);
  return {
    chosen,
    rejected,
    captions,
    tokenIds: tokenize(captions),
    maxLength,
    count: indices.length,
    latentShape: pairs.latentShape,
  };
}
