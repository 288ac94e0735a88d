import * as path from 'node:path';
import { evalKey, METRIC_NAMES } from '@dpo-ts/core';
import { DiffusionDPOTrainer, cloneDenoiser, type ImagePreferenceDataset } from '@dpo-ts/diffusion';
import { progressThrough } from './log-stream.js';
import type { TrainedModel, TrainingEnvironment } from './methods.js';

/**
 * Diffusion-DPO from the base on the seed's pairs, with the compressibility example's recipe:
 * sigmoid loss, frozen base as reference, batch `settings.batchSize` pairs, AdamW at
 * `settings.learningRate` with a warm-up of min(50, steps / 10) steps, then constant.
 * Held-out pairs are scored before and after (`rewards/accuracies`, loss).
 */
export async function trainDiffusionDPO(
  env: TrainingEnvironment,
  pairs: { train: ImagePreferenceDataset; eval: ImagePreferenceDataset },
  beta: number,
): Promise<TrainedModel> {
  const { settings } = env;
  const model = cloneDenoiser(env.base);
  const started = performance.now();
  try {
    const trainer = await DiffusionDPOTrainer.create({
      model,
      referenceModel: env.base,
      schedule: env.schedule,
      trainDataset: pairs.train,
      evalDataset: pairs.eval,
      config: {
        totalSteps: settings.trainSteps,
        perDeviceTrainBatchSize: settings.batchSize,
        beta,
        learningRate: settings.learningRate,
        warmupSteps: Math.min(50, Math.floor(settings.trainSteps / 10)),
        lrSchedule: 'constant_with_warmup',
        loggingSteps: Math.max(1, Math.floor(settings.trainSteps / 5)),
        seed: env.seed,
      },
    });
    try {
      const before = await trainer.evaluate();
      const headline = [
        METRIC_NAMES.loss,
        METRIC_NAMES.rewardsAccuracies,
        METRIC_NAMES.rewardsMargins,
        METRIC_NAMES.gradNorm,
        METRIC_NAMES.trainSamplesPerSecond,
      ];
      await trainer.train({
        progress: progressThrough(
          env.log,
          `${env.logPrefix} DPO β=${beta} `,
          settings.trainSteps / 5,
          headline,
          path.join(env.logDir, `dpo-b${beta}-seed${env.seed}.jsonl`),
        ),
        ...(env.signal !== undefined ? { signal: env.signal } : {}),
      });
      const after = await trainer.evaluate();
      return {
        model,
        trainSeconds: (performance.now() - started) / 1000,
        details: {
          'eval/implicit_acc_before': before[evalKey(METRIC_NAMES.rewardsAccuracies)]!,
          'eval/implicit_acc_after': after[evalKey(METRIC_NAMES.rewardsAccuracies)]!,
          'eval/loss_before': before[evalKey(METRIC_NAMES.loss)]!,
          'eval/loss_after': after[evalKey(METRIC_NAMES.loss)]!,
          // Policy errors above the reference's on chosen and rejected alike: likelihood displacement.
          'eval/mse_model_chosen_after': after[evalKey(METRIC_NAMES.mseModelChosen)] ?? Number.NaN,
          'eval/mse_model_rejected_after': after[evalKey(METRIC_NAMES.mseModelRejected)] ?? Number.NaN,
          'eval/mse_ref_chosen': after[evalKey(METRIC_NAMES.mseReferenceChosen)] ?? Number.NaN,
          'eval/mse_ref_rejected': after[evalKey(METRIC_NAMES.mseReferenceRejected)] ?? Number.NaN,
        },
      };
    } finally {
      trainer.dispose();
    }
  } catch (error) {
    model.dispose();
    throw error;
  }
}
