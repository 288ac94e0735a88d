/**
 * The diffusion comparison benchmark: Diffusion-DPO (several beta) vs DDPO vs SFT on winners
 * (and SFT on losers, the control) from the committed MNIST MLP, on DDPO's JPEG rewards.
 * @packageDocumentation
 */
import type { Benchmark } from '../harness/benchmark.js';
import { runDiffusionComparison } from './run-comparison.js';

export { runDiffusionComparison } from './run-comparison.js';
export { DIFFUSION_COMPARISON_SETTINGS, comparisonSeeds, type DiffusionComparisonSettings } from './settings.js';

/**
 * `diffusion-comparison`: every method starts from the same base checkpoint; Diffusion-DPO and
 * both SFT runs train on the same on-policy pairs (two DDIM samples per digit, the smaller JPEG
 * preferred) with the same optimiser budget; DDPO samples its own trajectories. Each model is
 * compared with the base on fixed noise: mean reward, paired win rate, and the accuracy of a
 * digit classifier (trained on held-out real digits) on its samples, the guard against reward
 * hacking; with the compute each spent and a sample grid per method.
 *
 * Modes (measured on the shared 2-vCPU machine, wasm): `smoke` one seed, 160 pairs, 8 steps
 * (CI, ~20 s); `quick` the first seed only, beta 2500 and 5000, 4,000 pairs, 225 steps, DDPO
 * 30 x 64 (about the wall time of pairs + one DPO run), 1,000 evaluation samples (~3 min at load
 * 3.5, ~5 min at load 7); `full` the first three seeds, beta 2500 / 5000 / 10000, 8,000 pairs,
 * 450 steps, DDPO 250 x 64 (as many sampled images as the pairs), 2,000 evaluation samples,
 * compressibility and incompressibility (~77 min estimated at load 3.5).
 */
export const diffusionComparisonBenchmark: Benchmark = {
  name: 'diffusion-comparison',
  title: 'Diffusion-DPO vs DDPO vs SFT on MNIST (JPEG reward)',
  description:
    'From the committed MNIST MLP diffusion model: Diffusion-DPO at several beta, DDPO and SFT on winners (with SFT on losers as a control) on the same on-policy pairs and JPEG compressibility reward; reward, paired win rate against the base, digit-classifier accuracy of the samples and compute per method.',
  expectedMinutes: { smoke: 0.5, quick: 4, full: 80 },
  run: runDiffusionComparison,
};
