import { fileURLToPath } from 'node:url';
import { detectCodeVersion } from '@dpo-ts/queue';

/** Every package a benchmark job may run code from. */
export const JOB_PACKAGES = [
  '@dpo-ts/core',
  '@dpo-ts/lm',
  '@dpo-ts/diffusion',
  '@dpo-ts/reward',
  '@dpo-ts/rlhf',
  '@dpo-ts/queue',
  '@dpo-ts/cli',
] as const;

/**
 * The code version of this checkout of the benchmarks: the job packages' versions and
 * `git describe --dirty` of the repository (or `DPO_TS_CODE_VERSION` when set). Producer and
 * workers compare it, and it is part of every job's key.
 */
export function benchmarkCodeVersion(): string {
  return detectCodeVersion({ packages: JOB_PACKAGES, cwd: fileURLToPath(new URL('../..', import.meta.url)) });
}
