import * as tf from '@tensorflow/tfjs-core';
import { AdamWOptimizer, applyGradientStep, computeNamedGradients, mixSeeds, Rng } from '@dpo-ts/core/training';
import {
  ddimCoefficients,
  ddimMean,
  ddimTimesteps,
  gaussianLogProb,
  standardNormal,
  textGuidedNoise,
  TextToImageDPOModel,
  type DDIMCoefficients,
  type ImageLabeler,
  encodeTextCondition,
} from '@dpo-ts/diffusion';
import { normalizeRewards } from '@dpo-ts/rlhf';
import type { T2IContext } from './context.js';
import { samplerOf } from './evaluate-model.js';
import type { T2ISettings } from './settings.js';
import type { TunedModel } from './train-preference.js';

/** DDPO's advantage clip (ddpo-pytorch's `adv_clip_max`). */
const ADVANTAGE_CLIP = 5;

/**
 * DDPO (Black et al. 2023) for the text-to-image model, with the labeler's score as the reward
 * and the benchmark's one sampler (DDIM, eta and guidance of the settings) as the policy. Per
 * update: `ddpoSamplesPerStep` captions drawn from `captions`; one trajectory each, keeping every
 * latent; rewards = the labeler's scores of the decoded images (one query each: updates x
 * samples = 2 x pairs, the label budget of the preference methods); advantages whitened over
 * the batch and clipped to ±5; then one AdamW step on
 *
 *   loss = -mean_i A_i * (1 / |S'|) sum_{t in S'} log p_theta(x_{t-1}^i | x_t^i, c_i)
 *
 * over a random subset S' of the steps, `ddpoTimestepFraction` of them (ddpo-pytorch's
 * `timestep_fraction`; 1 = every step),
 * with the log-probabilities recomputed on the tape (guided noise prediction, DDIM mean, Gaussian
 * of the step's sigma; mean over latent entries as rlhf's DDPO). One on-policy update per batch
 * makes the PPO ratio 1 and its clip inactive: DDPO_IS reduces to DDPO_SF here. Caption encoder
 * frozen (as the DPO runs); denoiser trained at the same learning rate.
 * @see Black et al. 2023, Sec. 4.2-4.3; rlhf's `DDPOTrainer` (class-conditional pixels).
 */
export async function trainTextDDPO(
  context: T2IContext,
  labeler: ImageLabeler,
  captions: readonly string[],
  seed: number,
  settings: T2ISettings,
): Promise<TunedModel> {
  const started = performance.now();
  const { model: base, autoencoder } = context.base;
  const copy = new TextToImageDPOModel(base.encoder, base.denoiser).clone();
  const variables = copy.denoiser.namedVariables();
  const optimizer = new AdamWOptimizer(variables, { weightDecay: 0 });
  const sampler = samplerOf(settings);
  const updates = Math.max(1, Math.round((2 * settings.pairs) / settings.ddpoSamplesPerStep));
  const { timesteps, prevTimesteps } = ddimTimesteps(context.schedule, sampler.numSteps);
  const batch = settings.ddpoSamplesPerStep;
  const coefficients: DDIMCoefficients[] = timesteps.map((t, i) =>
    ddimCoefficients(
      context.schedule,
      new Array<number>(batch).fill(t),
      new Array<number>(batch).fill(prevTimesteps[i]!),
      sampler.eta,
      false,
    ),
  );
  const rng = new Rng(mixSeeds(seed, 13));
  const rewardMeans: number[] = [];
  try {
    for (let update = 0; update < updates; update++) {
      const drawn = Array.from({ length: batch }, () => captions[rng.int(captions.length)]!);
      const text = encodeTextCondition(
        copy.encoder,
        copy.denoiser,
        base.tokenizer.encodeBatch(drawn, copy.encoder.config.maxLength),
        batch,
      );
      // The trajectory: latents[0] = x_T, latents[i + 1] = the sample of step i.
      const latents: tf.Tensor4D[] = [
        standardNormal([batch, ...autoencoder.autoencoder.latentShape], rng) as tf.Tensor4D,
      ];
      try {
        for (let i = 0; i < timesteps.length; i++) {
          const noise = standardNormal(latents[i]!.shape, rng);
          latents.push(
            tf.tidy(() => {
              const eps = textGuidedNoise(
                copy.denoiser,
                latents[i]!,
                tf.fill([batch], timesteps[i]!, 'float32') as tf.Tensor1D,
                text,
                sampler.guidanceScale,
              );
              const mean = ddimMean(latents[i]!, eps, coefficients[i]!, false);
              return tf.add(
                mean,
                tf.mul(tf.tensor4d(Float32Array.from(coefficients[i]!.sigma), [batch, 1, 1, 1]), noise),
              ) as tf.Tensor4D;
            }),
          );
          noise.dispose();
        }
        const images = tf.tidy(() =>
          tf.clipByValue(
            autoencoder.autoencoder.decode(tf.div(latents[timesteps.length]!, autoencoder.scalingFactor)),
            -1,
            1,
          ),
        ) as tf.Tensor4D;
        const rewards = await labeler.score(images, drawn).finally(() => images.dispose());
        rewardMeans.push(rewards.reduce((a, b) => a + b, 0) / batch);
        // Whitened over the batch (rlhf's normalizeRewards), clipped as ddpo-pytorch clips.
        const advantages = normalizeRewards(rewards).map((a) => Math.max(-ADVANTAGE_CLIP, Math.min(ADVANTAGE_CLIP, a)));
        // ddpo-pytorch's timestep_fraction: the update sees a random subset of the steps.
        const trained = shuffled(timesteps.length, rng).slice(
          0,
          Math.max(1, Math.round(settings.ddpoTimestepFraction * timesteps.length)),
        );
        const { value, grads } = computeNamedGradients(() => {
          let total = tf.zeros([batch]) as tf.Tensor1D;
          for (const i of trained) {
            const eps = textGuidedNoise(
              copy.denoiser,
              latents[i]!,
              tf.fill([batch], timesteps[i]!, 'float32') as tf.Tensor1D,
              text,
              sampler.guidanceScale,
            );
            const mean = ddimMean(latents[i]!, eps, coefficients[i]!, false);
            total = tf.add(total, gaussianLogProb(latents[i + 1]!, mean, coefficients[i]!.sigma));
          }
          return tf.neg(tf.mean(tf.mul(tf.tensor1d(advantages), tf.div(total, trained.length)))) as tf.Scalar;
        }, variables);
        try {
          await applyGradientStep(optimizer, grads, {
            learningRate: settings.learningRate,
            stepIndex: update,
            maxGradNorm: 1,
          });
        } finally {
          tf.dispose([value, ...grads.values()]);
        }
      } finally {
        tf.dispose([text, ...latents]);
      }
    }
  } catch (error) {
    copy.dispose();
    throw error;
  } finally {
    optimizer.dispose();
  }
  const quarter = rewardMeans.slice(-Math.max(1, Math.floor(updates / 4)));
  return {
    model: { tokenizer: base.tokenizer, encoder: copy.encoder, denoiser: copy.denoiser },
    trainSeconds: (performance.now() - started) / 1000,
    details: {
      updates,
      'samples (labeler queries)': updates * batch,
      'reward (first update)': rewardMeans[0]!,
      'reward (last quarter)': quarter.reduce((a, b) => a + b, 0) / quarter.length,
    },
    release: () => copy.dispose(),
  };
}

/** A random permutation of 0..n-1 (Fisher-Yates with `rng`). */
function shuffled(n: number, rng: Rng): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let k = n - 1; k > 0; k--) {
    const pick = rng.int(k + 1);
    [order[k], order[pick]] = [order[pick]!, order[k]!];
  }
  return order;
}
