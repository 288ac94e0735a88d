import type { JsonValue } from '@dpo-ts/core/training';
import type { PreferenceScorerReplica } from '@dpo-ts/core/preference';
import type { ParallelTaskSpec } from '@dpo-ts/core/parallel';
import { createDenoiser } from '../denoiser-checkpoint.js';
import type { DenoiserKind } from '../denoiser.js';
import type { MLPDenoiserConfig } from '../mlp-denoiser.js';
import { NoiseSchedule, type NoiseScheduleConfig } from '../noise-schedule.js';
import type { UNetConfig } from '../unet.js';
import type { DiffusionPreferenceBatch } from './diffusion-preference-batch.js';
import { DiffusionPreferenceScorer } from './diffusion-preference-scorer.js';

/** Configuration of {@link createDenoiserPreferenceScorer}: JSON, so it can build the replica in a worker. */
export type DenoiserPreferenceScorerConfig = {
  /** `'mlp'` ({@link MLPDenoiser}) or `'unet'` ({@link UNet}). */
  readonly kind: DenoiserKind;
  /** The policy denoiser's configuration (`denoiser.config` of the main thread's model). */
  readonly denoiser: Partial<MLPDenoiserConfig> | Partial<UNetConfig>;
  /** The noise schedule's configuration (`schedule.config`). */
  readonly schedule: Partial<NoiseScheduleConfig>;
  /** score = -scale * mse (the trainer's `scoreScale`). @defaultValue the scorer's default */
  readonly scale?: number;
};

/**
 * A Diffusion-DPO policy scorer on a new denoiser built from `config`, for core's data-parallel
 * preference step (a core `PreferenceScorerFactory`): the same {@link DiffusionPreferenceScorer}
 * the trainer uses on the main thread. The pair's timestep, noise and label dropout live in the
 * batch, so a worker scores exactly what the main thread would, and the reference errors the
 * main thread computed (or cached) on those same draws travel with the micro-batch.
 * `dispose()` frees the denoiser.
 */
export function createDenoiserPreferenceScorer(
  config: DenoiserPreferenceScorerConfig,
): PreferenceScorerReplica<DiffusionPreferenceBatch> {
  const denoiser = createDenoiser(config.kind, config.denoiser);
  const scorer = new DiffusionPreferenceScorer(denoiser, new NoiseSchedule(config.schedule), {
    ...(config.scale !== undefined ? { scale: config.scale } : {}),
  });
  return { scorer, dispose: () => denoiser.dispose() };
}

/** The spec of {@link createDenoiserPreferenceScorer}(config), for `PreferenceTrainerParts.workerScorer`. */
export function denoiserPreferenceScorerSpec(config: DenoiserPreferenceScorerConfig): ParallelTaskSpec {
  return {
    module: '@dpo-ts/diffusion',
    export: 'createDenoiserPreferenceScorer',
    config: config as unknown as JsonValue,
  };
}
