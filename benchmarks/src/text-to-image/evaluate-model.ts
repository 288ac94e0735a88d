import * as tf from '@tensorflow/tfjs-core';
import { mixSeeds } from '@dpo-ts/core/training';
import {
  autoencoderFeatures,
  clipRetrievalHits,
  frechetDistance,
  kernelDistance,
  type TextToImageModel,
} from '@dpo-ts/diffusion';
import type { SeedCaptions, T2IContext } from './context.js';
import { samplePairedImages, type SamplerOptions } from './sampler.js';
import { T2I_LABELERS, type T2ILabeler, type T2ISettings } from './settings.js';

/**
 * What one model's samples measured, per image, on the seed's held-out captions (JSON). Image k
 * of the test set shows `test.captions[k]`, caption `k % T` of the T test captions, repetition
 * `floor(k / T)`; every model draws image k from the same noise, so a method's image k and the
 * base's image k form a pair.
 */
export interface ModelEvaluation {
  /** Per validation caption (one image each), each labeler's score: what the beta is chosen on. */
  readonly validation: Readonly<Record<T2ILabeler, number[]>>;
  readonly test: {
    readonly captions: string[];
    /** The held-out alignment oracle's score, scale x cos(image, caption). */
    readonly clipOracle: number[];
    /** The held-out style oracle's logit (> 0: Twemoji style, the taste). */
    readonly styleOracle: number[];
    /** 1 when the clip oracle ranks the image's own caption above all `retrievalCandidates - 1` distractors. */
    readonly retrievalHit: number[];
  };
  /**
   * KID (x 1000) of the test images against every real held-out emoji, in the quality guard's
   * feature space (the autoencoder's scaled latent means: diffusion's `autoencoderFeatures`).
   */
  readonly kernelDistance: number;
  /** Frechet distance of the same features (biased upwards at these sample sizes; KID is the guard). */
  readonly frechetDistance: number;
  /** The first image of the first `gridCaptions` test captions, as 8-bit RGB in base64. */
  readonly grid: string;
  readonly sampleSeconds: number;
}

/** Noise streams of the evaluation sets; the same for every model of a seed (paired noise). */
const TEST_NOISE = 3;
const VALIDATION_NOISE = 4;

/** The sampler of every part of the benchmark, from the settings. */
export function samplerOf(settings: T2ISettings): SamplerOptions {
  return { numSteps: settings.samplingSteps, eta: settings.eta, guidanceScale: settings.guidanceScale, batchSize: 32 };
}

/**
 * Samples `model` on the seed's validation and test captions with paired noise and measures
 * every image with the labelers (validation) and the oracles (test).
 */
export async function evaluateModel(
  model: TextToImageModel,
  context: T2IContext,
  captions: SeedCaptions,
  seed: number,
  settings: T2ISettings,
): Promise<ModelEvaluation> {
  const started = performance.now();
  const sampler = samplerOf(settings);
  const { autoencoder } = context.base;
  const validationImages = await samplePairedImages(
    model,
    autoencoder,
    context.schedule,
    captions.validation,
    mixSeeds(seed, VALIDATION_NOISE),
    sampler,
  );
  const testCaptions = Array.from({ length: settings.imagesPerCaption }, () => captions.test).flat();
  const testImages = await samplePairedImages(
    model,
    autoencoder,
    context.schedule,
    testCaptions,
    mixSeeds(seed, TEST_NOISE),
    sampler,
  );
  const sampleSeconds = (performance.now() - started) / 1000;
  const validation = {} as Record<T2ILabeler, number[]>;
  for (const labeler of T2I_LABELERS)
    validation[labeler] = await scoreImages(validationImages, captions.validation, (images, batch) =>
      context.labelers[labeler].score(images, batch),
    );
  const clipOracle = await scoreImages(testImages, testCaptions, async (images, batch) => {
    const { clip, tokenizer } = context.clipOracle;
    const scores = clip.scorePairs(images, tokenizer.encodeBatch(batch, clip.textEncoder.config.maxLength));
    const values = Float32Array.from(await scores.data());
    scores.dispose();
    return values;
  });
  const styleOracle = await scoreImages(testImages, testCaptions, async (images) => {
    const logits = context.styleOracle.logits(images);
    const values = Float32Array.from(await logits.data());
    logits.dispose();
    return values;
  });
  const features = await autoencoderFeatures(autoencoder, testImages, testCaptions.length);
  return {
    validation,
    test: {
      captions: testCaptions,
      clipOracle,
      styleOracle,
      // Image k shows test caption k % T; its distractors come from Rng(mixSeeds(seed, 5, k)) for every model.
      retrievalHit: await clipRetrievalHits(
        context.clipOracle,
        testImages,
        captions.test,
        settings.retrievalCandidates,
        seed,
      ),
    },
    kernelDistance: 1000 * kernelDistance(context.realFeatures, features, context.featureDim),
    frechetDistance: frechetDistance(context.realFeatures, features, context.featureDim),
    grid: encodeGridImages(testImages.subarray(0, Math.min(settings.gridCaptions, captions.test.length) * 3072)),
    sampleSeconds,
  };
}

/** Scores host images `[n, 32, 32, 3]` in batches of 64 with `score`; returns n numbers. */
async function scoreImages(
  images: Float32Array,
  captions: readonly string[],
  score: (images: tf.Tensor4D, captions: readonly string[]) => Promise<Float32Array>,
): Promise<number[]> {
  const out: number[] = [];
  for (let start = 0; start < captions.length; start += 64) {
    const size = Math.min(64, captions.length - start);
    const batch = tf.tensor4d(images.subarray(start * 3072, (start + size) * 3072), [size, 32, 32, 3]);
    try {
      out.push(...(await score(batch, captions.slice(start, start + size))));
    } finally {
      batch.dispose();
    }
  }
  return out;
}

/** Images in [-1, 1] as 8-bit values (round((x + 1) * 127.5)) in base64: compact JSON for the grids. */
export function encodeGridImages(images: Float32Array): string {
  return Buffer.from(Uint8Array.from(images, (x) => Math.round((Math.min(1, Math.max(-1, x)) + 1) * 127.5))).toString(
    'base64',
  );
}

/** The inverse of {@link encodeGridImages}: values in [-1, 1]. */
export function decodeGridImages(encoded: string): Float32Array {
  return Float32Array.from(Buffer.from(encoded, 'base64'), (byte) => byte / 127.5 - 1);
}
