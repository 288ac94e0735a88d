import { mixSeeds, Rng } from '@dpo-ts/core/training';

/** The random part of one denoising example: what x_0 is noised with and conditioned on. */
export interface ExampleDraw {
  /** t ~ U{0..T-1}. */
  readonly timestep: number;
  /** Whether classifier-free-guidance dropout replaces the label by the null class. */
  readonly dropLabel: boolean;
}

/**
 * Draws one example's timestep, label dropout and noise from its own stream
 * `Rng(mixSeeds(seed, round, index))`, in that order, writing `noise.length` standard normals
 * into `noise`. Depends on (seed, round, index) only, never on batch composition, so reference
 * caches and resumed runs see the same draws. `round` is 0 for fixed draws, else the epoch + 1.
 */
export function drawExample(
  seed: number,
  round: number,
  index: number,
  numTimesteps: number,
  dropProbability: number,
  noise: Float32Array,
): ExampleDraw {
  const rng = new Rng(mixSeeds(seed, round, index));
  const timestep = rng.int(numTimesteps);
  const dropLabel = rng.uniform() < dropProbability;
  for (let p = 0; p < noise.length; p++) noise[p] = rng.normal();
  return { timestep, dropLabel };
}
