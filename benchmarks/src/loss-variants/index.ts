/**
 * The loss-variants benchmark: DPO's sigmoid, IPO and hinge losses on a tabular task, split
 * into (variant, beta, seed) cells that run in-process or as queue jobs.
 * @packageDocumentation
 */
import type { BenchmarkContext } from '../harness/benchmark.js';
import { type CellBenchmark, type CellContext, type CellResult, runCellsInProcess } from '../harness/cells.js';
import { reduceLossVariants } from './reduce.js';
import { runLossVariantCell } from './run-cell.js';
import { LOSS_VARIANTS_SETTINGS, planLossVariantCells, validateLossVariantCell } from './settings.js';

/**
 * `loss-variants`: the suite's smallest comparison and the first benchmark split into cells
 * (one per loss variant, beta and seed): it runs in seconds, so it is what the queue's tests
 * distribute. Every cell trains a tabular policy (core's TabularPolicyScorer) on pairs labelled
 * by a Bradley-Terry model of known rewards, so the true reward and the KL of the result are
 * exact.
 */
export const lossVariantsBenchmark: CellBenchmark = {
  name: 'loss-variants',
  title: 'DPO loss variants (sigmoid, IPO, hinge) on a tabular Bradley-Terry task',
  description:
    'Sigmoid (DPO), IPO and hinge losses at two beta from a uniform reference on a tabular task with known rewards: true reward gain, KL to the reference and ranking accuracy of the implicit reward, per seed; split into cells that run on a job queue.',
  expectedMinutes: { smoke: 0.05, quick: 0.3, full: 2 },
  plan: (context: CellContext) => planLossVariantCells(context.mode, context.seeds),
  validateCell: (payload: unknown) => {
    validateLossVariantCell(payload);
  },
  runCell: (payload: unknown) => runLossVariantCell(validateLossVariantCell(payload)),
  reduce: async (cells: readonly CellResult[], context: BenchmarkContext) =>
    reduceLossVariants(cells, LOSS_VARIANTS_SETTINGS[context.mode]),
  run: (context: BenchmarkContext) => runCellsInProcess(lossVariantsBenchmark, context),
};
