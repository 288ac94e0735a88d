import type { CellBenchmark } from '../harness/cells.js';
import { runCellsInProcess } from '../harness/cells.js';
import {
  planThroughputCells,
  reduceThroughput,
  runThroughputCell,
  throughputBackends,
  validateThroughputCell,
} from './cells.js';

export { THROUGHPUT_BACKENDS } from './cells.js';

/**
 * The suite's `throughput` benchmark: time per training step (DPO, SFT, a PPO update,
 * Diffusion-DPO at two batch sizes) on every backend that loads, tokens or images per second,
 * achieved GFLOP/s, peak RSS and tensors leaked per step (must be 0), and the same DPO step in
 * PyTorch where a Python with torch is found.
 *
 * The worker-threads table (1 vs N workers through each trainer's `train()`) adds a DDPO update.
 * `DPO_TS_THROUGHPUT_STEPS=dpo,sft` limits both tables to those steps (see `THROUGHPUT_STEPS_ENV`).
 *
 * Each (backend, step) runs in a child Node process (`worker.js`): tfjs has one engine per
 * process, and switching backends inside it would share kernels' state, the gradient registry
 * and the RSS; a child per measurement isolates all three and a crash loses one row. With
 * `--backend` (or `DPO_TS_BACKEND`) set, only that backend is measured.
 *
 * Cells (for a queue): one per backend, the worker-threads table, PyTorch. Timings from
 * different machines are not comparable: the report names the machine, and when the cells ran
 * on several it marks each cell's (run one worker for a comparable table).
 */
export const throughputBenchmark: CellBenchmark = {
  name: 'throughput',
  title: 'Training throughput per backend',
  description:
    'Time per training step of DPO (lm DPOTrainer), SFT, one PPO update (rlhf) and Diffusion-DPO (MLP denoiser) on each tfjs backend, with tokens or images per second, achieved GFLOP/s, peak RSS, tensors leaked per step, and the same DPO step in PyTorch for reference.',
  expectedMinutes: { smoke: 1, quick: 4, full: 30 },
  plan: planThroughputCells,
  validateCell: (payload) => {
    validateThroughputCell(payload);
  },
  runCell: (payload, context) => runThroughputCell(validateThroughputCell(payload), context),
  reduce: async (cells, context) => reduceThroughput(cells, context.mode, throughputBackends(context.backend)),
  run: (context) => runCellsInProcess(throughputBenchmark, context),
};
