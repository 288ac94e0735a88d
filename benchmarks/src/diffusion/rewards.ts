import { jpegCompressibilityReward, jpegIncompressibilityReward, type ImageReward } from '@dpo-ts/diffusion';
import type { ComparisonRewardId } from './settings.js';

/** A plain reward of the comparison, with what its numbers mean. */
export interface ComparisonReward {
  readonly id: ComparisonRewardId;
  readonly label: string;
  readonly reward: ImageReward;
  /** Unit of the reward value, for tables. */
  readonly unit: string;
}

/**
 * DDPO's JPEG rewards (quality 95, kB = bytes / 1000; Black et al. 2023, Section 6.1):
 * compressibility prefers flat images, incompressibility detailed ones; the second is the
 * easier one to hack (noise is incompressible), which the digit-classifier guard should show.
 */
export const COMPARISON_REWARDS: Readonly<Record<ComparisonRewardId, ComparisonReward>> = Object.freeze({
  'jpeg-compressibility': {
    id: 'jpeg-compressibility',
    label: 'JPEG compressibility',
    reward: jpegCompressibilityReward,
    unit: '-kB',
  },
  'jpeg-incompressibility': {
    id: 'jpeg-incompressibility',
    label: 'JPEG incompressibility',
    reward: jpegIncompressibilityReward,
    unit: 'kB',
  },
});
