import * as tf from '@tensorflow/tfjs-core';
import { mixSeeds, Rng } from '@dpo-ts/core/training';
import type { TextToImageModel } from '@dpo-ts/diffusion';
import { imageFeatures, type SeedCaptions, type T2IContext } from './context.js';
import { frechetDistance, kernelDistance } from './feature-distance.js';
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
  /** KID (x 1000) of the test images against every real held-out emoji, in the clip oracle's image features. */
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
const DISTRACTORS = 5;

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
  const features = await imageFeatures(context.clipOracle, testImages, testCaptions.length);
  return {
    validation,
    test: {
      captions: testCaptions,
      clipOracle,
      styleOracle,
      retrievalHit: await retrievalHits(context, testImages, captions.test, settings, seed),
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

/**
 * Caption retrieval per image by the clip oracle: image k (caption i) is a hit when the cosine
 * with caption i is strictly above that with each of `retrievalCandidates - 1` other test
 * captions, drawn for image k from `Rng(mixSeeds(seed, 5, k))`: the same distractors for every model.
 */
async function retrievalHits(
  context: T2IContext,
  images: Float32Array,
  captions: readonly string[],
  settings: T2ISettings,
  seed: number,
): Promise<number[]> {
  const { clip, tokenizer } = context.clipOracle;
  const count = images.length / 3072;
  const texts = clip.embedTexts(tokenizer.encodeBatch(captions, clip.textEncoder.config.maxLength), captions.length);
  const textEmbeddings = Float32Array.from(await texts.data()); // [T, embedDim]
  texts.dispose();
  const imageEmbeddings = new Float32Array(count * clip.config.embedDim);
  for (let start = 0; start < count; start += 64) {
    const size = Math.min(64, count - start);
    const embedded = tf.tidy(() =>
      clip.embedImages(tf.tensor4d(images.subarray(start * 3072, (start + size) * 3072), [size, 32, 32, 3])),
    );
    imageEmbeddings.set(await embedded.data(), start * clip.config.embedDim);
    embedded.dispose();
  }
  return perImageRetrievalHits(
    imageEmbeddings,
    textEmbeddings,
    clip.config.embedDim,
    settings.retrievalCandidates,
    seed,
  );
}

/**
 * The retrieval hits of n images against T captions (image k shows caption k % T), from unit
 * embeddings `[n, dim]` and `[T, dim]`: 1 when caption k % T scores strictly above every one of
 * `candidates - 1` distinct other captions drawn for image k from `Rng(mixSeeds(seed, 5, k))`.
 */
export function perImageRetrievalHits(
  imageEmbeddings: Float32Array,
  textEmbeddings: Float32Array,
  dim: number,
  candidates: number,
  seed: number,
): number[] {
  const captionCount = textEmbeddings.length / dim;
  const count = imageEmbeddings.length / dim;
  const dot = (k: number, c: number): number => {
    let sum = 0;
    for (let d = 0; d < dim; d++) sum += imageEmbeddings[k * dim + d]! * textEmbeddings[c * dim + d]!;
    return sum;
  };
  return Array.from({ length: count }, (_, k) => {
    const own = k % captionCount;
    const rng = new Rng(mixSeeds(seed, DISTRACTORS, k));
    const pool = Array.from({ length: captionCount }, (_, c) => c).filter((c) => c !== own);
    const picks = Math.min(candidates - 1, pool.length);
    for (let j = 0; j < picks; j++) {
      const pick = j + rng.int(pool.length - j);
      [pool[j], pool[pick]] = [pool[pick]!, pool[j]!];
    }
    const score = dot(k, own);
    return pool.slice(0, picks).every((c) => dot(k, c) < score) ? 1 : 0;
  });
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
