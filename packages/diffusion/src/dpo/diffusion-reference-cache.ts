import {
  backendFingerprint,
  fingerprintJson,
  fingerprintVariables,
  type FingerprintParts,
} from '@dpo-ts/core';
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
 * Denoiser configuration fields that change no prediction once the weights are given: the
 * initialisation (`seed`, `zeroInit`, `zeroInitOutput`) and the model's own default label
 * dropout (`cfgDropProb`; the run's dropout is covered by the `draws` part). Every other field
 * (UNet groups, channels, levels, input skip, MLP sizes, image shape, classes) is covered, so
 * a field a future denoiser adds counts until it is listed here.
 */
export const NON_SCORING_DENOISER_CONFIG_FIELDS: readonly string[] = Object.freeze(['seed', 'zeroInit', 'zeroInitOutput', 'cfgDropProb']);

/** Version of the per-pair draw scheme (`drawExample`'s stream layout and the eval salt). */
const DRAW_SCHEME = 'drawExample.v1';

/**
 * Fingerprint of cached Diffusion-DPO reference scores, as named parts for core's
 * `ReferenceScoreCache` (a miss names the part that changed):
 *
 * - `format`: this scheme's version;
 * - `model`: the denoiser's kind, null class and configuration without
 *   {@link NON_SCORING_DENOISER_CONFIG_FIELDS} (GroupNorm groups do not show in weight shapes);
 * - `weights`: every variable's name, dtype, shape and bytes;
 * - `schedule`: the noise schedule's configuration (betas, T);
 * - `draws`: what fixes each pair's timestep, noise and label dropout (seed, dropout
 *   probability, draw scheme);
 * - `scoring`: the score scale;
 * - `data/train`, `data/eval`: the pairs' images and labels;
 * - `backend`: the tfjs backend.
 *
 * A pair's cache key is its index (`train/17`), so a file stays valid exactly while all of
 * these are equal.
 */
export async function diffusionReferenceFingerprint(key: DiffusionReferenceCacheKey): Promise<FingerprintParts> {
  const config = Object.fromEntries(Object.entries(key.reference.config).filter(([name]) => !NON_SCORING_DENOISER_CONFIG_FIELDS.includes(name)));
  return {
    format: 'dpo-ts.diffusion-reference-scores.v2',
    model: fingerprintJson({ kind: key.reference.kind, nullClass: key.reference.nullClass, config }),
    weights: await fingerprintVariables(key.reference.namedVariables()),
    schedule: fingerprintJson(key.schedule.config),
    draws: fingerprintJson({ seed: key.seed, cfgDropProb: key.cfgDropProb, scheme: DRAW_SCHEME }),
    scoring: fingerprintJson({ scoreScale: key.scoreScale }),
    'data/train': fingerprintImagePreferences(key.trainDataset),
    'data/eval': key.evalDataset === undefined ? 'none' : fingerprintImagePreferences(key.evalDataset),
    backend: backendFingerprint(),
  };
}
