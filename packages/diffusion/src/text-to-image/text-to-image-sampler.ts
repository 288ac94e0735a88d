import * as tf from '@tensorflow/tfjs-core';
import { Rng, type JsonValue } from '@dpo-ts/core/training';
import type { Sampler, SamplerSpec } from '@dpo-ts/core/parallel';
import { NoiseSchedule, type NoiseScheduleConfig } from '../noise-schedule.js';
import { CaptionEncoder, type CaptionEncoderConfig } from './caption-encoder.js';
import { LatentAutoencoder, type LatentAutoencoderConfig } from './latent-autoencoder.js';
import { LatentTextDenoiser, type LatentTextDenoiserConfig } from './latent-text-denoiser.js';
import { ddimSampleFromText } from './text-guidance.js';
import { textToImageVariables } from './text-to-image-checkpoint.js';
import { encodeTextCondition } from './text-condition.js';

/** Configuration of {@link createTextToImageSampler}: JSON, so it can build the replica in a worker. */
export type TextToImageSamplerConfig = {
  /** The caption encoder's `config`. */
  readonly encoder: CaptionEncoderConfig;
  /** The latent denoiser's `config`. */
  readonly denoiser: Partial<LatentTextDenoiserConfig>;
  /** The noise schedule's `config`. */
  readonly schedule: Partial<NoiseScheduleConfig>;
  /** The autoencoder's `config`, to decode latents to images. */
  readonly autoencoder: Partial<LatentAutoencoderConfig>;
  /** Latents are divided by it before decoding (ScaledAutoencoder's `scalingFactor`). */
  readonly scalingFactor: number;
};

/** The networks a {@link createTextToImageSampler} runs; the caller's own on the main thread. */
export interface TextToImageSamplerModels {
  /** Embeds the captions the denoiser is conditioned on. */
  readonly encoder: CaptionEncoder;
  /** The latent denoiser, conditioned on the caption embedding, that guided DDIM steps. */
  readonly denoiser: LatentTextDenoiser;
  /** Decodes the final latents (divided by `scalingFactor`) to images in [-1, 1]. */
  readonly autoencoder: LatentAutoencoder;
}

/**
 * One task of {@link createTextToImageSampler}: one guided DDIM call over a batch of captions.
 * The initial latents travel with the task (drawn by the caller), so a caller that draws them
 * from one stream in order keeps its samples whatever runs the task.
 */
export type TextToImageSamplingTask = {
  /** Caption token ids, `[count * maxLength]` (CaptionTokenizer.encodeBatch). */
  readonly tokenIds: Int32Array;
  /** Captions (images) in the task. */
  readonly count: number;
  /** `[count, ...latentShape]` starting latents x_T. */
  readonly initialNoise: Float32Array;
  /** DDIM steps. */
  readonly numSteps: number;
  /** Classifier-free guidance scale w. */
  readonly guidanceScale: number;
  /** 0: deterministic DDIM; > 0 also returns per-step log-probs (DDPO). @defaultValue 0 */
  readonly eta?: number;
  /** Seed of the step noise when eta > 0. @defaultValue 0 */
  readonly seed?: number;
};

/** What a {@link TextToImageSamplingTask} returns, as plain arrays. */
export type TextToImageSamplingResult = {
  /** `[count, h, w, c]` decoded images, clip(D(z / scalingFactor), -1, 1). */
  readonly images: Float32Array;
  /** `[count, ...latentShape]` final scaled latents z. */
  readonly latents: Float32Array;
  /** With eta > 0: `[count, numSteps]` per-step log-probabilities (mean over latent entries). */
  readonly logProbs?: Float32Array;
};

/**
 * A core `Sampler` for the text-to-image model: caption encoder -> conditioning rows ->
 * {@link ddimSampleFromText} with classifier-free guidance from the task's initial latents ->
 * autoencoder decode, clipped to [-1, 1] (what {@link sampleCaptionImages} does per batch).
 * Variables: {@link textToImageVariables} (`text.*`, `denoiser.*`) and the frozen autoencoder's
 * as `autoencoder.*`.
 *
 * `models` are the caller's own on the main thread; in a worker they are built from `config`
 * (the pool then overwrites every weight). `dispose()` frees what the sampler built. Leaves no
 * tensor.
 */
export function createTextToImageSampler(
  config: TextToImageSamplerConfig,
  models?: TextToImageSamplerModels,
): Sampler<TextToImageSamplingTask, TextToImageSamplingResult> {
  const { encoder, denoiser, autoencoder } = models ?? {
    encoder: new CaptionEncoder(config.encoder),
    denoiser: new LatentTextDenoiser(config.denoiser),
    autoencoder: new LatentAutoencoder(config.autoencoder),
  };
  const schedule = new NoiseSchedule(config.schedule);
  const namedVariables = new Map<string, tf.Variable>(textToImageVariables({ encoder, denoiser }));
  for (const [name, variable] of autoencoder.namedVariables()) namedVariables.set(`autoencoder.${name}`, variable);
  return {
    namedVariables,
    async sample(task) {
      const shape = [task.count, ...denoiser.config.latentShape];
      const text = encodeTextCondition(encoder, denoiser, task.tokenIds, task.count);
      const initialNoise = tf.tensor4d(task.initialNoise, shape as [number, number, number, number]);
      let result: ReturnType<typeof ddimSampleFromText>;
      try {
        result = ddimSampleFromText(denoiser, schedule, {
          text,
          rng: new Rng(task.seed ?? 0),
          numSteps: task.numSteps,
          guidanceScale: task.guidanceScale,
          eta: task.eta ?? 0,
          initialNoise,
        });
      } finally {
        tf.dispose([text, initialNoise]);
      }
      const { latents, logProbs } = result;
      try {
        const images = tf.tidy(() => tf.clipByValue(autoencoder.decode(tf.div(latents, config.scalingFactor)), -1, 1));
        try {
          return {
            images: (await images.data()) as Float32Array,
            latents: (await latents.data()) as Float32Array,
            ...(logProbs === undefined ? {} : { logProbs: (await logProbs.data()) as Float32Array }),
          };
        } finally {
          images.dispose();
        }
      } finally {
        tf.dispose([latents, ...(logProbs === undefined ? [] : [logProbs])]);
      }
    },
    dispose: () => {
      if (models !== undefined) return;
      encoder.dispose();
      denoiser.dispose();
      autoencoder.dispose();
    },
  };
}

/** The spec that builds {@link createTextToImageSampler}(config) in each worker of a core `SamplingWorkerPool`. */
export function textToImageSamplerSpec(config: TextToImageSamplerConfig): SamplerSpec {
  return { module: '@dpo-ts/diffusion', export: 'createTextToImageSampler', config: config as unknown as JsonValue };
}
