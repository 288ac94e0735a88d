import type { CellResult } from '../harness/cells.js';
import type { ConfidenceInterval } from '../sentiment/bootstrap.js';
import { captionUnits, netOfControl, T2I_MEASURES, unitsCI, type T2IMeasure } from './caption-units.js';
import type { T2ICellResult } from './run-cell.js';
import { validateT2ICell, type T2ICell, type T2ILabeler, type T2IMethod, type T2ISettings } from './settings.js';

/** A finished cell: its payload and its result. */
export interface FinishedCell {
  readonly cell: T2ICell;
  readonly result: T2ICellResult;
}

/** One row of the comparison: a method (at the chosen beta for the DPO runs) on one labeler, over seeds. */
export interface MethodRow {
  readonly labeler: T2ILabeler;
  readonly method: Exclude<T2IMethod, 'base'>;
  readonly beta: number | null;
  /** Per measure, the CI over (seed, caption) units. */
  readonly measures: Readonly<Record<T2IMeasure, ConfidenceInterval>>;
  /** Per seed: KID x 1000 minus the base's. */
  readonly kernelDistanceChange: readonly number[];
  readonly frechetDistanceChange: readonly number[];
  readonly trainSeconds: readonly number[];
  readonly details: readonly Readonly<Record<string, number>>[];
}

/**
 * A method net of one of its label controls (DPO: flipped, shuffled; SFT on winners: SFT on
 * losers; DDPO: negated reward), per measure.
 */
export interface NetRow {
  readonly labeler: T2ILabeler;
  readonly method: 'dpo' | 'sft-winners' | 'ddpo';
  readonly control: 'dpo-flipped' | 'dpo-shuffled' | 'sft-losers' | 'ddpo-negated';
  /** The DPO runs' beta; null for SFT. */
  readonly beta: number | null;
  readonly measures: Readonly<Record<T2IMeasure, ConfidenceInterval>>;
}

/** The validation gain of each DPO run per beta: mean labeler score minus the base's on validation captions. */
export interface SweepPoint {
  readonly labeler: T2ILabeler;
  readonly method: T2IMethod;
  readonly beta: number;
  readonly validationGain: number;
}

/** Everything the report is made of. */
export interface T2ISummary {
  readonly seeds: readonly number[];
  readonly chosenBeta: Readonly<Record<T2ILabeler, number>>;
  readonly sweep: readonly SweepPoint[];
  readonly rows: readonly MethodRow[];
  readonly net: readonly NetRow[];
  readonly base: readonly FinishedCell[];
  readonly cells: readonly FinishedCell[];
}

const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

/** Reads the cells back (each payload checked) and indexes them. */
export function finishedCells(cells: readonly CellResult[]): FinishedCell[] {
  return cells.map(({ cell, result }) => ({ cell: validateT2ICell(cell.payload), result: result as T2ICellResult }));
}

/**
 * Summarises every cell: per labeler the beta with the best validation gain of the labeler's own
 * score (Diffusion-DPO on the real labels, mean over seeds; never an oracle, never a test
 * caption), then per method the CIs of every measure over (seed, caption) units, and
 * Diffusion-DPO net of its flipped- and shuffled-label controls at that beta (SFT on winners net
 * of SFT on losers, DDPO net of DDPO on the negated reward).
 */
export function summarizeT2I(cells: readonly FinishedCell[], settings: T2ISettings): T2ISummary {
  const base = cells.filter((c) => c.cell.method === 'base');
  const seeds = base.map((c) => c.cell.seed);
  const baseOf = (seed: number): T2ICellResult => {
    const found = base.find((c) => c.cell.seed === seed);
    if (found === undefined) throw new Error(`text-to-image-comparison: no base cell for seed ${seed}`);
    return found.result;
  };
  const find = (labeler: T2ILabeler, method: T2IMethod, beta: number | null) =>
    seeds.map((seed) => {
      const found = cells.find(
        (c) => c.cell.labeler === labeler && c.cell.method === method && c.cell.beta === beta && c.cell.seed === seed,
      );
      if (found === undefined)
        throw new Error(`text-to-image-comparison: missing cell ${labeler}/${method}/beta=${beta}/seed=${seed}`);
      return found;
    });
  const sweep: SweepPoint[] = [];
  const chosenBeta = {} as Record<T2ILabeler, number>;
  const labelers = [...new Set(cells.flatMap((c) => (c.cell.labeler === null ? [] : [c.cell.labeler])))];
  for (const labeler of labelers) {
    for (const beta of settings.betas)
      for (const method of ['dpo', 'dpo-shuffled', 'dpo-flipped'] as const)
        sweep.push({
          labeler,
          method,
          beta,
          validationGain: mean(
            find(labeler, method, beta).map(
              (c) =>
                mean(c.result.evaluation.validation[labeler]) -
                mean(baseOf(c.cell.seed).evaluation.validation[labeler]),
            ),
          ),
        });
    const real = sweep.filter((p) => p.labeler === labeler && p.method === 'dpo');
    chosenBeta[labeler] = real.reduce((best, p) => (p.validationGain > best.validationGain ? p : best)).beta;
  }
  const captionCount = settings.testCaptions;
  const groupsOf = (found: readonly FinishedCell[], measure: T2IMeasure) =>
    found.map((c) => captionUnits(c.result.evaluation, baseOf(c.cell.seed).evaluation, measure, captionCount));
  const intervals = (groups: (measure: T2IMeasure) => number[][], salt: number) =>
    Object.fromEntries(
      T2I_MEASURES.map((measure, m) => [measure, unitsCI(groups(measure), settings.resamples, 1000 * salt + m)]),
    ) as Record<T2IMeasure, ConfidenceInterval>;
  const rows: MethodRow[] = [];
  const net: NetRow[] = [];
  labelers.forEach((labeler, l) => {
    const beta = chosenBeta[labeler];
    const methods = [
      ['dpo', beta],
      ['sft-winners', null],
      ['sft-losers', null],
      ['ddpo', null],
      ['ddpo-negated', null],
      ['dpo-shuffled', beta],
      ['dpo-flipped', beta],
    ] as const;
    methods.forEach(([method, methodBeta], r) => {
      const found = find(labeler, method, methodBeta);
      rows.push({
        labeler,
        method,
        beta: methodBeta,
        measures: intervals((measure) => groupsOf(found, measure), 10 * l + r),
        kernelDistanceChange: found.map(
          (c) => c.result.evaluation.kernelDistance - baseOf(c.cell.seed).evaluation.kernelDistance,
        ),
        frechetDistanceChange: found.map(
          (c) => c.result.evaluation.frechetDistance - baseOf(c.cell.seed).evaluation.frechetDistance,
        ),
        trainSeconds: found.map((c) => c.result.trainSeconds),
        details: found.map((c) => c.result.details),
      });
    });
    const dpo = find(labeler, 'dpo', beta);
    const sft = find(labeler, 'sft-winners', null);
    const ddpo = find(labeler, 'ddpo', null);
    (
      [
        ['dpo', dpo, 'dpo-flipped', beta],
        ['dpo', dpo, 'dpo-shuffled', beta],
        ['sft-winners', sft, 'sft-losers', null],
        ['ddpo', ddpo, 'ddpo-negated', null],
      ] as const
    ).forEach(([method, found, control, controlBeta], k) => {
      const other = find(labeler, control, controlBeta);
      net.push({
        labeler,
        method,
        control,
        beta: controlBeta,
        measures: intervals(
          (measure) => netOfControl(groupsOf(found, measure), groupsOf(other, measure)),
          100 + 10 * l + k,
        ),
      });
    });
  });
  return { seeds, chosenBeta, sweep, rows, net, base, cells };
}
