import * as tf from '@tensorflow/tfjs-core';
import { requireInteger } from '@dpo-ts/core';
import { mixSeeds, Rng } from '@dpo-ts/core/training';
import {
  ddimSampleFromText,
  type NoiseSchedule,
  type ScaledAutoencoder,
  type TextToImageModel,
  encodeTextCondition,
} from '@dpo-ts/diffusion';

/** The benchmark's one sampler: DDIM with classifier-free guidance, used for pairs, DDPO and every evaluation. */
export interface SamplerOptions {
  /** DDIM steps. */
  readonly numSteps: number;
  /** DDIM eta (> 0 draws fresh noise at every step, from the same stream as the initial noise). */
  readonly eta: number;
  readonly guidanceScale: number;
  /** Images per sampler call; part of what fixes the noise (keep it equal between models compared). */
  readonly batchSize: number;
}

/** The noise seed of the sampler call whose first image is image `start` of the list: that batch draws everything from `Rng(pairedNoiseSeed(seed, start))`. */
export function pairedNoiseSeed(seed: number, start: number): number {
  return mixSeeds(seed, start);
}

/**
 * Samples one image per caption, decoded and clipped to [-1, 1]: x = clip(D(z / scalingFactor), -1, 1).
 * Paired noise: the batch starting at caption `start` draws its initial latents and (eta > 0)
 * every step's noise from `Rng(pairedNoiseSeed(seed, start))` in the same order whatever the
 * weights, so two models sampled with the same captions, seed and options start each image
 * from the same noise and see the same per-step noise: their images differ only by the model.
 * A shard of a longer list passes `firstIndex`, the index of `captions[0]` in that list: with
 * `firstIndex` a multiple of `batchSize`, the shard's images equal those of the whole list.
 * @param firstIndex - index of `captions[0]` in the whole list (noise seeds count from it). @defaultValue 0
 * @returns host images `[captions.length, 32, 32, 3]` flattened; every tensor made here is disposed.
 */
export async function samplePairedImages(
  model: TextToImageModel,
  autoencoder: ScaledAutoencoder,
  schedule: NoiseSchedule,
  captions: readonly string[],
  seed: number,
  options: SamplerOptions,
  firstIndex = 0,
): Promise<Float32Array> {
  const batchSize = requireInteger('options.batchSize', options.batchSize, { min: 1 });
  requireInteger('firstIndex', firstIndex, { min: 0 });
  const [h, w, c] = autoencoder.autoencoder.config.imageShape;
  const out = new Float32Array(captions.length * h * w * c);
  for (let start = 0; start < captions.length; start += batchSize) {
    const chunk = captions.slice(start, start + batchSize);
    const images = tf.tidy(() => {
      const text = encodeTextCondition(
        model.encoder,
        model.denoiser,
        model.tokenizer.encodeBatch(chunk, model.encoder.config.maxLength),
        chunk.length,
      );
      const { latents, logProbs } = ddimSampleFromText(model.denoiser, schedule, {
        text,
        rng: new Rng(pairedNoiseSeed(seed, firstIndex + start)),
        numSteps: options.numSteps,
        guidanceScale: options.guidanceScale,
        eta: options.eta,
      });
      logProbs?.dispose();
      return tf.clipByValue(autoencoder.autoencoder.decode(tf.div(latents, autoencoder.scalingFactor)), -1, 1);
    });
    out.set(await images.data(), start * h * w * c);
    images.dispose();
  }
  return out;
}
