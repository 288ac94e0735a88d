import * as path from 'node:path';
import { METRIC_NAMES } from '@dpo-ts/core';
import { DiffusionSFTTrainer, cloneDenoiser, preferredImages, type ImagePreferenceDataset } from '@dpo-ts/diffusion';
import { progressThrough } from './log-stream.js';
import type { TrainedModel, TrainingEnvironment } from './methods.js';

/**
 * SFT (L_simple with label dropout) from the base on one side of the seed's training pairs,
 * with Diffusion-DPO's budget: the same steps, batch (images instead of pairs), learning rate
 * and warm-up. `'chosen'` is the SFT-on-winners baseline (Wallace et al. 2023); `'rejected'` is
 * the control: SFT on the model's own samples with the preference reversed, which separates
 * self-distillation from what the preference adds.
 */
export async function trainSFT(
  env: TrainingEnvironment,
  pairs: ImagePreferenceDataset,
  side: 'chosen' | 'rejected',
): Promise<TrainedModel> {
  const { settings } = env;
  const model = cloneDenoiser(env.base);
  const started = performance.now();
  const name = side === 'chosen' ? 'sft-winners' : 'sft-losers';
  try {
    // preferredImages takes the chosen side; the losers are the same pairs with the sides swapped.
    const images = preferredImages(
      side === 'chosen' ? pairs : { ...pairs, chosen: pairs.rejected },
      env.base.numClasses,
    );
    const trainer = await DiffusionSFTTrainer.create({
      model,
      schedule: env.schedule,
      trainDataset: images,
      config: {
        totalSteps: settings.trainSteps,
        perDeviceTrainBatchSize: settings.batchSize,
        learningRate: settings.learningRate,
        warmupSteps: Math.min(50, Math.floor(settings.trainSteps / 10)),
        lrSchedule: 'constant_with_warmup',
        loggingSteps: Math.max(1, Math.floor(settings.trainSteps / 5)),
        seed: env.seed,
      },
    });
    try {
      const result = await trainer.train({
        progress: progressThrough(
          env.log,
          `${env.logPrefix} ${name} `,
          settings.trainSteps / 5,
          [METRIC_NAMES.loss, METRIC_NAMES.gradNorm],
          path.join(env.logDir, `${name}-seed${env.seed}.jsonl`),
        ),
        ...(env.signal !== undefined ? { signal: env.signal } : {}),
      });
      const losses = result.history.map((entry) => entry.metrics[METRIC_NAMES.loss]!).filter(Number.isFinite);
      const tail = losses.slice(-Math.max(1, Math.floor(losses.length / 5)));
      return {
        model,
        trainSeconds: (performance.now() - started) / 1000,
        details: { 'train/loss_last_fifth': tail.reduce((a, b) => a + b, 0) / tail.length },
      };
    } finally {
      trainer.dispose();
    }
  } catch (error) {
    model.dispose();
    throw error;
  }
}
