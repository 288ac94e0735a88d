/**
 * The text-to-image comparison: Diffusion-DPO (beta sweep), DDPO and SFT on winners with the
 * shuffled- and flipped-label controls (DDPO's: the negated reward), from the committed emoji
 * text-to-image base, on an AI-feedback labeler and a personal-taste labeler, judged by held-out
 * oracles.
 * @packageDocumentation
 */
import type { BenchmarkContext } from '../harness/benchmark.js';
import { textToImageBaseId } from './base-model.js';
import { type CellBenchmark, type CellContext, type CellResult, runCellsInProcess } from '../harness/cells.js';
import { releaseT2IContext } from './context.js';
import { reduceT2I } from './reduce.js';
import { runT2ICell } from './run-cell.js';
import { clearSeedPairs } from './seed-pairs.js';
import { planT2ICells, T2I_SETTINGS, validateT2ICell } from './settings.js';

/**
 * `text-to-image-comparison`: one cell per (labeler, method, beta, seed) plus the base per seed,
 * so it runs in process or on the queue and resumes cell by cell. Every method starts from the
 * committed base (`loadTextToImageBase`), spends the same labeler queries (2 per pair; DDPO as
 * many samples), uses the same sampler, and is measured against the base with paired noise on
 * held-out captions by oracles that never labelled.
 */
export const textToImageComparisonBenchmark: CellBenchmark = {
  name: 'text-to-image-comparison',
  title: 'Text-to-image: Diffusion-DPO vs DDPO vs SFT on emoji, AI feedback and personal taste, net of label controls',
  description:
    'From the committed emoji text-to-image base, on an AI-feedback labeler (EmojiCLIP alignment) and a personal-taste labeler (style classifier) at equal label budgets: Diffusion-DPO (beta chosen on validation captions), DDPO and SFT on winners, with shuffled- and flipped-label Diffusion-DPO controls, SFT on losers and negated-reward DDPO; win rate against the base by held-out oracles, style share, caption retrieval and a feature-distance quality guard (autoencoder features) on held-out captions with paired noise, bootstrap CIs.',
  expectedMinutes: { smoke: 0.5, quick: 5, full: 65 },
  plan: (context: CellContext) => planT2ICells(context.mode, context.seeds, textToImageBaseId()),
  validateCell: (payload: unknown) => {
    validateT2ICell(payload);
  },
  runCell: (payload: unknown, context: CellContext) => runT2ICell(validateT2ICell(payload), context),
  reduce: (cells: readonly CellResult[], context: BenchmarkContext) =>
    reduceT2I(cells, context, T2I_SETTINGS[context.mode]),
  run: async (context: BenchmarkContext) => {
    try {
      return await runCellsInProcess(textToImageComparisonBenchmark, context);
    } finally {
      clearSeedPairs();
      await releaseT2IContext();
    }
  },
};
