import { combineFingerprints, fingerprintJson, fingerprintVariables } from '@dpo-ts/core';
import type { Denoiser } from '../denoiser.js';
import type { NoiseSchedule } from '../noise-schedule.js';
import { fingerprintImagePreferences, type ImagePreferenceDataset } from './image-preference-dataset.js';

/** What the reference scores of a Diffusion-DPO run depend on. */
export interface DiffusionReferenceCacheKey {
  readonly reference: Denoiser;
  readonly schedule: NoiseSchedule;
  readonly trainDataset: ImagePreferenceDataset;
  readonly evalDataset?: ImagePreferenceDataset;
  /** Seed of the per-pair draws (t, eps, label dropout). */
  readonly seed: number;
  readonly cfgDropProb: number;
  readonly scoreScale: number;
}

/**
 * Fingerprint of cached Diffusion-DPO reference scores: SHA-256 over the reference weights, the
 * train and eval pairs (images and labels), the noise schedule, and everything that fixes each
 * pair's draw (seed, label-dropout probability, null class) and the score scale. A pair's cache
 * key is its index (`train/17`), so a file stays valid exactly while all of these are equal.
 */
export async function diffusionReferenceFingerprint(key: DiffusionReferenceCacheKey): Promise<string> {
  return combineFingerprints(
    'dpo-ts.diffusion-reference-scores.v1',
    fingerprintJson({
      seed: key.seed,
      cfgDropProb: key.cfgDropProb,
      scoreScale: key.scoreScale,
      nullClass: key.reference.nullClass,
      schedule: key.schedule.config,
      kind: key.reference.kind,
    }),
    await fingerprintVariables(key.reference.namedVariables()),
    fingerprintImagePreferences(key.trainDataset),
    key.evalDataset === undefined ? 'no-eval-dataset' : fingerprintImagePreferences(key.evalDataset),
  );
}
