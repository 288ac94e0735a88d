import type { JsonValue } from '@dpo-ts/core/training';
import type { Denoiser } from './denoiser.js';

/**
 * Denoiser configuration fields that change no prediction once the weights are given: the
 * initialisation (`seed`, `zeroInit`, `zeroInitOutput`) and the model's own default label
 * dropout (`cfgDropProb`; a Diffusion-DPO run's dropout is covered by its cache's `draws` part).
 * Every other field (UNet groups, channels, levels, input skip, MLP sizes, image shape, classes)
 * is covered, so a field a future denoiser adds counts until it is listed here.
 */
export const NON_SCORING_DENOISER_CONFIG_FIELDS: readonly string[] = Object.freeze([
  'seed',
  'zeroInit',
  'zeroInitOutput',
  'cfgDropProb',
]);

/**
 * A denoiser's architecture as JSON: its kind, null class and configuration without
 * {@link NON_SCORING_DENOISER_CONFIG_FIELDS}. GroupNorm groups do not show in the weights'
 * shapes, which is why reference caches fingerprint this and checkpoints record it (resuming a
 * checkpoint of another architecture is refused, naming the field).
 */
export function denoiserArchitecture(denoiser: Denoiser): JsonValue {
  const config = Object.fromEntries(
    Object.entries(denoiser.config).filter(([name]) => !NON_SCORING_DENOISER_CONFIG_FIELDS.includes(name)),
  ) as JsonValue;
  return { kind: denoiser.kind, nullClass: denoiser.nullClass, config };
}
