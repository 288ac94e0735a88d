import type { BenchmarkContext } from '../harness/benchmark.js';
import type { CellBenchmark, CellContext, CellResult } from '../harness/cells.js';
import { runSentimentCell, validateSentimentCell } from './experiment-cells.js';
import { planSentimentCells, planSentimentTestCells } from './experiment-plan.js';
import { reduceSentimentExperiment, runSentimentInProcess } from './experiment-run.js';

export { SENTIMENT_EXPERIMENT_CONFIGS, type SentimentExperimentConfig } from './experiment-config.js';
export {
  defaultBaseModelDir,
  releaseSentimentCells,
  runSentimentCell,
  type SentimentCell,
  type SentimentCellResult,
} from './experiment-cells.js';
export {
  chosenSettings,
  planSentimentCells,
  planSentimentTestCells,
  type SentimentSeeds,
  sentimentSeeds,
} from './experiment-plan.js';
export { reduceSentimentExperiment } from './experiment-run.js';
export { experimentMethods, type ExperimentMethod } from './method-registry.js';

/**
 * The DPO paper's controlled-sentiment experiment (Rafailov et al. 2023, Sec. 6.1, Fig. 2 left)
 * at CPU scale, as an experiment a skeptic can check: from the committed pretrained base (lm's
 * `models/base-en`, or `DPO_TS_SENTIMENT_BASE`), per seed a fresh split, an SFT stage on review
 * sentences, one labeler (a bag-of-n-grams classifier) that makes every label, the same label
 * budget for every method, a sweep per method chosen on one seed's validation prompts, then the
 * chosen settings on fresh seeds, whose test prompts give the gain over SFT on the labeler and on
 * two oracles that never label (VADER, AFINN) with bootstrap CIs, win rates, quality guards and
 * the gaming check.
 *
 * Split into cells, in two stages: the selection seed's preparation (labeler, SFT stage, pairs,
 * SFT measured, levers) and one cell per (method, setting); then per test seed its preparation
 * and one cell per method at the chosen setting. In-process by default; `dpo-ts bench --store <dir>` keeps
 * each cell's result by the hash of its inputs so that a rerun resumes, and `--queue` runs the
 * cells on `dpo-ts worker`s.
 */
export const sentimentFrontierBenchmark: CellBenchmark = {
  name: 'sentiment-frontier',
  title:
    'Controlled sentiment: labeler and oracle gains over SFT vs KL (DPO, IPO, hinge, PPO, RLOO, GRPO, online DPO, Preferred-FT, Unlikelihood, best-of-N)',
  description:
    'From the committed pretrained base GPT (byte-level BPE), each seed fine-tunes it on UCI review sentences (SFT stage), ' +
    'labels 4 SFT samples of each training prompt with a bag-of-n-grams sentiment classifier (the labeler: the only source ' +
    'of labels, the same budget for every method; on-policy methods query it for each completion they sample), sweeps ' +
    "each method's learning rate and knob on one seed's validation prompts, and runs the chosen setting on fresh seeds, " +
    'measured on their test prompts: gain ' +
    'over SFT on the labeler, VADER and AFINN with 95% bootstrap CIs, per-prompt win rates, KL from SFT, quality guards ' +
    '(base NLL, real-word rate, distinct-n, length, EOS) and the levers that move the labeler.',
  // Quick: 2.2 CPU minutes measured before the second stage (one wasm thread). Full: 130 cells (the
  // selection seed's 45, then 17 per test seed), ~2.5 min each measured on one quiet core.
  expectedMinutes: { smoke: 1, quick: 4, full: 330 },
  plan: (context: CellContext) => planSentimentCells(context),
  planNext: (context: CellContext, done: readonly CellResult[]) => planSentimentTestCells(context, done),
  validateCell: (payload: unknown) => {
    validateSentimentCell(payload);
  },
  runCell: (payload: unknown, context: CellContext) => runSentimentCell(validateSentimentCell(payload), context),
  reduce: (cells: readonly CellResult[], context: BenchmarkContext) => reduceSentimentExperiment(cells, context),
  run: (context: BenchmarkContext) => runSentimentInProcess(sentimentFrontierBenchmark, context),
};
