import { DPOTSError } from '@dpo-ts/core';
import type { ImageLabeler } from '@dpo-ts/diffusion';
import { TEXT_TO_IMAGE_BASE_ENV } from './base-model.js';
import type { CellContext } from '../harness/cells.js';
import { seedCaptions, t2iContext } from './context.js';
import { evaluateModel, type ModelEvaluation } from './evaluate-model.js';
import { preferenceLatents, seedPairs, type LabelVariant } from './seed-pairs.js';
import type { T2ICell, T2ILabeler } from './settings.js';
import { trainTextDDPO } from './train-ddpo.js';
import { trainLatentDPO, trainSFTOnWinners, type TunedModel } from './train-preference.js';

/** What the pairs of a seed looked like (reported by the seed's base cell). */
export interface PairsSummary {
  readonly pairs: number;
  /** Per labeler: ties dropped, and pairs kept. */
  readonly ties: Readonly<Record<T2ILabeler, number>>;
  /** Share of the pairs where both labelers gave a label and agreed on it. */
  readonly labelerAgreement: number;
  readonly sampleSeconds: number;
}

/** One cell's JSON result. */
export interface T2ICellResult {
  readonly evaluation: ModelEvaluation;
  readonly trainSeconds: number;
  readonly details: Readonly<Record<string, number>>;
  /** The base cell only. */
  readonly pairs?: PairsSummary;
  /**
   * The base cell only: which base was loaded (saved model or run checkpoint), at which step,
   * from where (absolute path), and its id (`textToImageBaseId`: the hash of its weights).
   */
  readonly baseModel?: {
    readonly kind: string;
    readonly step: number | null;
    readonly source: string;
    readonly id?: string;
    /** True when the base came from `DPO_TS_T2I_BASE`. */
    readonly overridden?: boolean;
  };
  readonly seconds: number;
}

/** A labeler scoring -score: what DDPO maximises when the labeler's preference is reversed. */
function negatedLabeler(labeler: ImageLabeler): ImageLabeler {
  return {
    name: `negated:${labeler.name}`,
    score: async (images, captions) => (await labeler.score(images, captions)).map((value) => -value),
  };
}

const VARIANTS: Readonly<Record<string, LabelVariant>> = {
  dpo: 'real',
  'dpo-shuffled': 'shuffled',
  'dpo-flipped': 'flipped',
};

/**
 * Runs one cell: the base is only measured; every other method trains a copy of the base on the
 * seed's pairs (labelled by the cell's labeler) or, for DDPO, on its own samples rewarded by the
 * labeler, then is measured with the same paired noise as the base; the copy is disposed.
 */
export async function runT2ICell(cell: T2ICell, context: CellContext): Promise<T2ICellResult> {
  const started = performance.now();
  const shared = await t2iContext();
  // A queue worker loads its own base: it must be the one the cell was planned (and keyed) on.
  if (cell.base !== shared.baseId)
    throw new DPOTSError(
      `text-to-image cell ${cell.method} seed ${cell.seed} was planned on base ${cell.base} but this process loaded ${shared.baseId} (${shared.base.source}): set ${TEXT_TO_IMAGE_BASE_ENV} the same way for the planner and every worker`,
    );
  const { settings, seed } = cell;
  const captions = seedCaptions(shared, seed, settings);
  const pairs = await seedPairs(shared, seed, settings);
  const say = (line: string) => context.log(`${cell.labeler ?? 'base'}/${cell.method} seed ${seed}: ${line}`);
  if (cell.method === 'base') {
    const evaluation = await evaluateModel(shared.base.model, shared, captions, seed, settings);
    const ties = { clip: 0, style: 0 };
    let agree = 0;
    pairs.captions.forEach((_, i) => {
      const clip = pairs.labels.clip[i]!;
      const style = pairs.labels.style[i]!;
      if (clip === 0.5) ties.clip += 1;
      if (style === 0.5) ties.style += 1;
      if (clip !== 0.5 && clip === style) agree += 1;
    });
    say(`measured in ${evaluation.sampleSeconds.toFixed(1)} s (pairs sampled in ${pairs.sampleSeconds.toFixed(1)} s)`);
    return {
      evaluation,
      trainSeconds: 0,
      details: {},
      baseModel: {
        kind: shared.base.kind,
        step: shared.base.step,
        source: shared.base.source,
        id: shared.baseId,
        overridden: shared.baseOverridden,
      },
      pairs: {
        pairs: pairs.captions.length,
        ties,
        labelerAgreement: agree / pairs.captions.length,
        sampleSeconds: pairs.sampleSeconds,
      },
      seconds: (performance.now() - started) / 1000,
    };
  }
  const labeler = cell.labeler!;
  const { tokenizer, encoder } = shared.base.model;
  const dataset = (variant: LabelVariant) =>
    preferenceLatents(
      pairs,
      labeler,
      variant,
      seed,
      (batch) => tokenizer.encodeBatch(batch, encoder.config.maxLength),
      encoder.config.maxLength,
    );
  let tuned: TunedModel;
  if (cell.method === 'sft-winners') tuned = await trainSFTOnWinners(shared, dataset('real'), seed, settings);
  // Flipped labels make the losers the "chosen" side: SFT on the losers, SFT's label control.
  else if (cell.method === 'sft-losers') tuned = await trainSFTOnWinners(shared, dataset('flipped'), seed, settings);
  else if (cell.method === 'ddpo')
    tuned = await trainTextDDPO(shared, shared.labelers[labeler], pairs.captions, seed, settings);
  // The negated reward: DDPO's flipped-label control, on the same captions and noise streams.
  else if (cell.method === 'ddpo-negated')
    tuned = await trainTextDDPO(shared, negatedLabeler(shared.labelers[labeler]), pairs.captions, seed, settings);
  else tuned = await trainLatentDPO(shared, dataset(VARIANTS[cell.method]!), cell.beta!, seed, settings);
  try {
    const evaluation = await evaluateModel(tuned.model, shared, captions, seed, settings);
    say(
      `trained in ${tuned.trainSeconds.toFixed(1)} s (${Object.entries(tuned.details)
        .map(([key, value]) => `${key} ${Number.isInteger(value) ? value : value.toFixed(3)}`)
        .join(', ')}), measured in ${evaluation.sampleSeconds.toFixed(1)} s`,
    );
    return {
      evaluation,
      trainSeconds: tuned.trainSeconds,
      details: tuned.details,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    tuned.release();
  }
}
