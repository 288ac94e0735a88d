import {
  backendFingerprint,
  fingerprintJson,
  fingerprintVariables,
  type FingerprintParts,
} from '@dpo-ts/core/preference';
import type { Denoiser } from '../denoiser.js';
import { denoiserArchitecture } from '../denoiser-architecture.js';
import type { NoiseSchedule } from '../noise-schedule.js';
import { fingerprintImagePreferences, type ImagePreferenceDataset } from './image-preference-dataset.js';

/** What the reference scores of a Diffusion-DPO run depend on. */
export interface DiffusionReferenceCacheKey {
  /** The reference denoiser: its architecture and every weight's bytes are fingerprinted. */
  readonly reference: Denoiser;
  /** The noise schedule (its config is fingerprinted). */
  readonly schedule: NoiseSchedule;
  /** The training pairs (images and labels are fingerprinted). */
  readonly trainDataset: ImagePreferenceDataset;
  /** The evaluation pairs, fingerprinted when given; omitted: none. */
  readonly evalDataset?: ImagePreferenceDataset;
  /** Seed of the per-pair draws (t, eps, label dropout). */
  readonly seed: number;
  /** The label-dropout probability of the draws (a different one changes which pairs see the null class). */
  readonly cfgDropProb: number;
  /** score = -scoreScale * mse; part of the cached values. */
  readonly scoreScale: number;
}

/** Version of the per-pair draw scheme (`drawExample`'s stream layout and the eval salt). */
const DRAW_SCHEME = 'drawExample.v1';

/**
 * Fingerprint of cached Diffusion-DPO reference scores, as named parts for core's
 * `ReferenceScoreCache` (a miss names the part that changed):
 *
 * - `format`: this scheme's version;
 * - `model`: {@link denoiserArchitecture} (GroupNorm groups do not show in weight shapes);
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
  return {
    format: 'dpo-ts.diffusion-reference-scores.v2',
    model: fingerprintJson(denoiserArchitecture(key.reference)),
    weights: await fingerprintVariables(key.reference.namedVariables()),
    schedule: fingerprintJson(key.schedule.config),
    draws: fingerprintJson({ seed: key.seed, cfgDropProb: key.cfgDropProb, scheme: DRAW_SCHEME }),
    scoring: fingerprintJson({ scoreScale: key.scoreScale }),
    'data/train': fingerprintImagePreferences(key.trainDataset),
    'data/eval': key.evalDataset === undefined ? 'none' : fingerprintImagePreferences(key.evalDataset),
    backend: backendFingerprint(),
  };
}
