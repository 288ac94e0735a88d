import { requireInteger } from '@dpo-ts/core';
import { Rng } from '@dpo-ts/core/training';
import { sampleTasks } from '@dpo-ts/core/parallel';
import type { NoiseSchedule } from '../noise-schedule.js';
import type { ScaledAutoencoder } from '../text-to-image/autoencoder-checkpoint.js';
import {
  createTextToImageSampler,
  textToImageSamplerSpec,
  type TextToImageSamplerConfig,
  type TextToImageSamplingTask,
} from '../text-to-image/text-to-image-sampler.js';
import type { TextToImageModel } from '../text-to-image/text-to-image-checkpoint.js';
import type { UnlabelledPair } from './label-pairs.js';

/** Options of {@link sampleCaptionImages} and {@link sampleCaptionPairs}. */
export interface CaptionSamplingOptions {
  /** Seed of the initial noise. @defaultValue 0 */
  readonly seed?: number;
  /** DDIM steps. @defaultValue 20 */
  readonly numSteps?: number;
  /** Classifier-free guidance scale. @defaultValue 3 */
  readonly guidanceScale?: number;
  /** Images per sampler call. @defaultValue 64 */
  readonly batchSize?: number;
  /**
   * Worker threads running the sampler calls at once (core's `SamplingWorkerPool`, with
   * {@link createTextToImageSampler}): an integer >= 1 or `'auto'`. The initial latents are
   * drawn on the main thread in the same order as on one thread, so the images do not depend on
   * the count; only calls run in parallel, so use a `batchSize` that gives one per worker.
   * @defaultValue 1 (the main thread)
   */
  readonly workers?: number | 'auto';
}

/**
 * Samples one image per caption with deterministic DDIM (eta 0) and classifier-free guidance,
 * then decodes: x = clip(D(z / scalingFactor), -1, 1). The noise of image i comes from
 * `Rng(seed)` in order, so the same seed and captions give the same images, on the main thread or
 * on `workers` threads (each call a {@link createTextToImageSampler} task).
 * @returns host images `[captions.length, h, w, c]` flattened; every tensor is disposed.
 */
export async function sampleCaptionImages(
  model: Pick<TextToImageModel, 'tokenizer' | 'encoder' | 'denoiser'>,
  autoencoder: ScaledAutoencoder,
  schedule: NoiseSchedule,
  captions: readonly string[],
  options: CaptionSamplingOptions = {},
): Promise<Float32Array> {
  const batchSize = requireInteger('options.batchSize', options.batchSize ?? 64, { min: 1 });
  const rng = new Rng(requireInteger('options.seed', options.seed ?? 0, { min: 0 }));
  const [h, w, c] = autoencoder.autoencoder.config.imageShape;
  const latentSize = model.denoiser.config.latentShape.reduce((a, b) => a * b, 1);
  const tasks: TextToImageSamplingTask[] = [];
  for (let start = 0; start < captions.length; start += batchSize) {
    const chunk = captions.slice(start, start + batchSize);
    // x_T of every image from one stream, in caption order: what ddimSampleFromText draws with eta 0.
    const initialNoise = new Float32Array(chunk.length * latentSize);
    for (let i = 0; i < initialNoise.length; i++) initialNoise[i] = rng.normal();
    tasks.push({
      tokenIds: model.tokenizer.encodeBatch(chunk, model.encoder.config.maxLength),
      count: chunk.length,
      initialNoise,
      numSteps: options.numSteps ?? 20,
      guidanceScale: options.guidanceScale ?? 3,
    });
  }
  const config: TextToImageSamplerConfig = {
    encoder: model.encoder.config,
    denoiser: model.denoiser.config,
    schedule: schedule.config,
    autoencoder: autoencoder.autoencoder.config,
    scalingFactor: autoencoder.scalingFactor,
  };
  const models = { encoder: model.encoder, denoiser: model.denoiser, autoencoder: autoencoder.autoencoder };
  const results = await sampleTasks(tasks, {
    sampler: createTextToImageSampler(config, models),
    spec: textToImageSamplerSpec(config),
    workers: options.workers ?? 1,
  });
  const out = new Float32Array(captions.length * h * w * c);
  results.forEach((result, k) => {
    out.set(result.images, k * batchSize * h * w * c);
  });
  return out;
}

/**
 * Two images per caption (and `pairsPerCaption` pairs of them), from different noise, for
 * {@link labelPairs}: what Pick-a-Pic collects from people, sampled here from the base model.
 * Extra fields: `seed`, `guidance_scale`, `ddim_steps`.
 */
export async function sampleCaptionPairs(
  model: Pick<TextToImageModel, 'tokenizer' | 'encoder' | 'denoiser'>,
  autoencoder: ScaledAutoencoder,
  schedule: NoiseSchedule,
  captions: readonly string[],
  options: CaptionSamplingOptions & { readonly pairsPerCaption?: number } = {},
): Promise<UnlabelledPair[]> {
  const perCaption = requireInteger('options.pairsPerCaption', options.pairsPerCaption ?? 1, { min: 1 });
  const repeated = captions.flatMap((caption) => Array<string>(2 * perCaption).fill(caption));
  const images = await sampleCaptionImages(model, autoencoder, schedule, repeated, options);
  const size = images.length / repeated.length;
  return Array.from({ length: repeated.length / 2 }, (_, i) => ({
    caption: repeated[2 * i]!,
    image0: images.slice(2 * i * size, (2 * i + 1) * size),
    image1: images.slice((2 * i + 1) * size, (2 * i + 2) * size),
    extra: {
      seed: options.seed ?? 0,
      guidance_scale: options.guidanceScale ?? 3,
      ddim_steps: options.numSteps ?? 20,
    },
  }));
}
