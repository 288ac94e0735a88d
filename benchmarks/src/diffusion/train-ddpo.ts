import * as path from 'node:path';
import { cloneDenoiser, type ImageReward } from '@dpo-ts/diffusion';
import { DDPOTrainer, DDPO_METRIC_NAMES } from '@dpo-ts/rlhf';
import { progressThrough } from './log-stream.js';
import type { TrainedModel, TrainingEnvironment } from './methods.js';

/**
 * DDPO (Black et al. 2023, DDPO_IS; `@dpo-ts/rlhf`) from the base on the plain reward, with the
 * settings its README measured on this model: DDIM with `settings.samplingSteps` steps and eta
 * 1, guidance 1 (the DPO pairs and the evaluation use guidance 1 too), every digit as a
 * condition, per-digit reward normalisation, one inner epoch over all timesteps, clip range
 * 1e-4, AdamW at `settings.ddpoLearningRate`. No KL term (DDPO has none).
 */
export async function trainDDPO(env: TrainingEnvironment, reward: ImageReward): Promise<TrainedModel> {
  const { settings } = env;
  const model = cloneDenoiser(env.base);
  const started = performance.now();
  try {
    const trainer = await DDPOTrainer.create({
      model,
      schedule: env.schedule,
      reward,
      conditions: Array.from({ length: env.base.numClasses }, (_, digit) => digit),
      config: {
        totalSteps: settings.ddpoSteps,
        samplesPerStep: settings.ddpoSamplesPerStep,
        sampleBatchSize: settings.ddpoSamplesPerStep,
        numSteps: settings.samplingSteps,
        eta: 1,
        guidanceScale: 1,
        trainBatchSize: settings.ddpoTrainBatchSize,
        learningRate: settings.ddpoLearningRate,
        seed: env.seed,
      },
    });
    try {
      const headline = [
        DDPO_METRIC_NAMES.rewardMean,
        DDPO_METRIC_NAMES.rewardStd,
        DDPO_METRIC_NAMES.approxKl,
        DDPO_METRIC_NAMES.clipFraction,
      ];
      const result = await trainer.train({
        progress: progressThrough(
          env.log,
          `${env.logPrefix} DDPO `,
          settings.ddpoSteps / 5,
          headline,
          path.join(env.logDir, `ddpo-seed${env.seed}.jsonl`),
        ),
        ...(env.signal !== undefined ? { signal: env.signal } : {}),
      });
      // Sampled (eta 1) rewards, first and last fifth of the steps: the on-policy curve.
      const rewards = result.history.map((entry) => entry.metrics[DDPO_METRIC_NAMES.rewardMean]!);
      const fifth = Math.max(1, Math.floor(rewards.length / 5));
      const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
      const kl = result.history.map((entry) => entry.metrics[DDPO_METRIC_NAMES.approxKl]!);
      return {
        model,
        trainSeconds: (performance.now() - started) / 1000,
        details: {
          'train/reward_mean_first_fifth': mean(rewards.slice(0, fifth)),
          'train/reward_mean_last_fifth': mean(rewards.slice(-fifth)),
          'train/approxkl_mean': mean(kl),
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
