import * as tf from '@tensorflow/tfjs-core';
import { AdamWOptimizer, applyGradientStep, computeNamedGradients, mixSeeds, Rng } from '@dpo-ts/core/training';
import {
  LatentDiffusionDPOTrainer,
  TextToImageDPOModel,
  textToImageLoss,
  type CaptionLatentPreferences,
  type TextToImageModel,
} from '@dpo-ts/diffusion';
import type { T2IContext } from './context.js';
import type { T2ISettings } from './settings.js';

/** A tuned copy of the base and what its training cost; `release()` disposes the copy's weights. */
export interface TunedModel {
  readonly model: TextToImageModel;
  readonly trainSeconds: number;
  /** Training metrics worth reporting (last logged values). */
  readonly details: Readonly<Record<string, number>>;
  release(): void;
}

/** A trainable copy of the base's caption encoder and denoiser (same tokenizer). */
function copyOfBase(context: T2IContext): { copy: TextToImageDPOModel; model: TextToImageModel } {
  const { model } = context.base;
  const copy = new TextToImageDPOModel(model.encoder, model.denoiser).clone();
  return { copy, model: { tokenizer: model.tokenizer, encoder: copy.encoder, denoiser: copy.denoiser } };
}

/**
 * Diffusion-DPO (sigmoid loss, Wallace et al. 2023, Eq. 14 in latent space) from the base with
 * the base as frozen reference: `trainSteps` AdamW steps of `batchSize` pairs at `learningRate`,
 * constant after a 10% warm-up, caption encoder frozen (the trainer's default, as the official code).
 */
export async function trainLatentDPO(
  context: T2IContext,
  dataset: CaptionLatentPreferences,
  beta: number,
  seed: number,
  settings: T2ISettings,
): Promise<TunedModel> {
  const started = performance.now();
  const { copy, model } = copyOfBase(context);
  const reference = new TextToImageDPOModel(context.base.model.encoder, context.base.model.denoiser);
  try {
    const trainer = await LatentDiffusionDPOTrainer.create({
      model: copy,
      referenceModel: reference,
      schedule: context.schedule,
      trainDataset: dataset,
      config: {
        totalSteps: settings.trainSteps,
        perDeviceTrainBatchSize: Math.min(settings.batchSize, dataset.count),
        beta,
        learningRate: settings.learningRate,
        warmupSteps: Math.floor(settings.trainSteps / 10),
        lrSchedule: 'constant_with_warmup',
        loggingSteps: 1,
        seed: mixSeeds(seed, 11),
      },
    });
    try {
      const result = await trainer.train({ progress: false });
      const last = result.history.slice(-Math.max(1, Math.floor(settings.trainSteps / 4)));
      const meanOf = (key: string) =>
        last.reduce((sum, entry) => sum + (entry.metrics[key] ?? Number.NaN), 0) / last.length;
      return {
        model,
        trainSeconds: (performance.now() - started) / 1000,
        details: {
          pairs: dataset.count,
          'loss (last quarter)': meanOf('loss'),
          'rewards/accuracies (last quarter)': meanOf('rewards/accuracies'),
        },
        release: () => copy.dispose(),
      };
    } finally {
      trainer.dispose();
    }
  } catch (error) {
    copy.dispose();
    throw error;
  }
}

/**
 * SFT on the winners: the base's own loss (L_simple in latent space, CFG dropout as in
 * pretraining) on the chosen latents only, denoiser trained and caption encoder frozen (as in
 * the DPO runs), with the same steps, batch and learning rate as Diffusion-DPO.
 */
export async function trainSFTOnWinners(
  context: T2IContext,
  dataset: CaptionLatentPreferences,
  seed: number,
  settings: T2ISettings,
): Promise<TunedModel> {
  const started = performance.now();
  const { copy, model } = copyOfBase(context);
  const variables = model.denoiser.namedVariables();
  const optimizer = new AdamWOptimizer(variables, { weightDecay: 0 });
  const rng = new Rng(mixSeeds(seed, 12));
  const latentSize = dataset.chosen.length / dataset.count;
  const batch = Math.min(settings.batchSize, dataset.count);
  let lastLoss = Number.NaN;
  try {
    for (let step = 0; step < settings.trainSteps; step++) {
      const rows = Array.from({ length: batch }, () => rng.int(dataset.count));
      const latents = new Float32Array(batch * latentSize);
      const tokenIds = new Int32Array(batch * dataset.maxLength);
      rows.forEach((row, i) => {
        latents.set(dataset.chosen.subarray(row * latentSize, (row + 1) * latentSize), i * latentSize);
        tokenIds.set(
          dataset.tokenIds.subarray(row * dataset.maxLength, (row + 1) * dataset.maxLength),
          i * dataset.maxLength,
        );
      });
      const latentTensor = tf.tensor4d(latents, [batch, ...dataset.latentShape]);
      const { value, grads } = computeNamedGradients(
        () =>
          textToImageLoss(model.encoder, model.denoiser, context.schedule, { latents: latentTensor, tokenIds }, rng),
        variables,
      );
      try {
        const warmup = Math.floor(settings.trainSteps / 10);
        const learningRate = settings.learningRate * Math.min(1, (step + 1) / Math.max(1, warmup));
        await applyGradientStep(optimizer, grads, { learningRate, stepIndex: step, maxGradNorm: 1 });
        lastLoss = (await value.data())[0]!;
      } finally {
        tf.dispose([value, latentTensor, ...grads.values()]);
      }
    }
    return {
      model,
      trainSeconds: (performance.now() - started) / 1000,
      details: { images: dataset.count, 'loss (last step)': lastLoss },
      release: () => copy.dispose(),
    };
  } catch (error) {
    copy.dispose();
    throw error;
  } finally {
    optimizer.dispose();
  }
}
