/**
 * The diffusion comparison benchmark: Diffusion-DPO (several beta) vs DDPO vs SFT on winners
 * (and SFT on losers, the control) from the committed MNIST MLP, on DDPO's JPEG rewards.
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BenchmarkContext } from '../harness/benchmark.js';
import { type CellBenchmark, type CellContext, type CellResult, runCellsInProcess } from '../harness/cells.js';
import { planDiffusionCells, validateDiffusionCell } from './cell-plan.js';
import { reduceDiffusionComparison } from './reduce.js';
import { runDiffusionCell } from './run-cell.js';
import { DIFFUSION_COMPARISON_SETTINGS } from './settings.js';
import { releaseComparisonContext } from './shared-context.js';

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
 *
 * Split into cells: per reward and seed one pairs cell, then one cell per method, so it runs in
 * process or on the queue and resumes cell by cell. Every process trains the digit classifier
 * once (same seed and epochs: the same classifier everywhere) and samples a (reward, seed)'s
 * pairs once (a method cell on a worker without them samples them again: same seed, same pairs).
 */
export const diffusionComparisonBenchmark: CellBenchmark = {
  name: 'diffusion-comparison',
  title: 'Diffusion-DPO vs DDPO vs SFT on MNIST (JPEG reward)',
  description:
    'From the committed MNIST MLP diffusion model: Diffusion-DPO at several beta, DDPO and SFT on winners (with SFT on losers as a control) on the same on-policy pairs and JPEG compressibility reward; reward, paired win rate against the base, digit-classifier accuracy of the samples and compute per method.',
  expectedMinutes: { smoke: 0.5, quick: 4, full: 80 },
  plan: (context: CellContext) => planDiffusionCells(context.mode, context.seed >>> 0, context.seeds),
  validateCell: (payload: unknown) => {
    validateDiffusionCell(payload);
  },
  runCell: (payload: unknown, context: CellContext) => runDiffusionCell(validateDiffusionCell(payload), context),
  reduce: (cells: readonly CellResult[], context: BenchmarkContext) =>
    reduceDiffusionComparison(cells, context, DIFFUSION_COMPARISON_SETTINGS[context.mode]),
  run: async (context: BenchmarkContext) => {
    // In process, the whole run is checked for leaks too: the shared base and classifier included.
    const tensorsBefore = tf.memory().numTensors;
    let result: Awaited<ReturnType<typeof runCellsInProcess>>;
    try {
      result = await runCellsInProcess(diffusionComparisonBenchmark, context);
    } finally {
      await releaseComparisonContext();
    }
    const left = tf.memory().numTensors - tensorsBefore;
    if (left === 0) return result;
    const failure = `tensor leak: ${left} tensors left after the run (${tensorsBefore} before)`;
    context.log(`check failed: ${failure}`);
    return { ...result, failures: [...(result.failures ?? []), failure] };
  },
};
