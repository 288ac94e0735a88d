import type { BenchmarkResult, ReportTable } from '../harness/benchmark.js';
import type { CellResult } from '../harness/cells.js';
import type { LossVariantMeasurement } from './run-cell.js';
import type { LossVariantsSettings } from './settings.js';

/** Mean and sample standard deviation (0 for one value). */
function meanStd(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.length > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1) : 0;
  return { mean, std: Math.sqrt(variance) };
}

const show = ({ mean, std }: { mean: number; std: number }, digits = 3) =>
  `${mean.toFixed(digits)} ± ${std.toFixed(digits)}`;

/** One (variant, beta) row: every seed's measurements. */
export interface LossVariantGroup {
  readonly variant: string;
  readonly beta: number;
  readonly measurements: readonly LossVariantMeasurement[];
}

/** Groups cell results by (variant, beta) in plan order. */
export function groupLossVariantResults(cells: readonly CellResult[]): LossVariantGroup[] {
  const groups = new Map<string, { variant: string; beta: number; measurements: LossVariantMeasurement[] }>();
  for (const { result } of cells) {
    const m = result as LossVariantMeasurement;
    const key = `${m.variant}/${m.beta}`;
    if (!groups.has(key)) groups.set(key, { variant: m.variant, beta: m.beta, measurements: [] });
    groups.get(key)!.measurements.push(m);
  }
  return [...groups.values()];
}

/** The report of the loss-variants benchmark from its cells' results (plan order). */
export function reduceLossVariants(cells: readonly CellResult[], settings: LossVariantsSettings): BenchmarkResult {
  const groups = groupLossVariantResults(cells);
  const rows = groups.map((group) => {
    const of = (pick: (m: LossVariantMeasurement) => number) => meanStd(group.measurements.map(pick));
    return [
      group.variant,
      group.beta,
      group.measurements.length,
      show(of((m) => m.reward - m.referenceReward)),
      show(of((m) => m.kl)),
      show(of((m) => m.rankingAccuracy)),
      show(
        of((m) => m.finalLoss),
        4,
      ),
    ];
  });
  const table: ReportTable = {
    title: 'Loss variants on a tabular Bradley-Terry task (mean ± std over seeds)',
    columns: ['loss_type', 'beta', 'seeds', 'reward gain', 'KL(pi || ref)', 'ranking accuracy', 'final loss'],
    rows,
    note: `${settings.conditions} prompts x ${settings.responses} responses, true rewards N(0, 1) per seed, ${settings.pairs} Bradley-Terry labelled pairs, ${settings.steps} full-batch Adam steps (lr ${settings.learningRate}) from a uniform reference. Reward gain: E_pi[r] - E_ref[r] averaged over prompts; ranking accuracy: share of response pairs whose implicit reward beta log(pi/ref) orders them as the true reward does.`,
  };
  const betas = [...new Set(groups.map((group) => group.beta))];
  const findings = betas.map((beta) => {
    const atBeta = groups
      .filter((group) => group.beta === beta)
      .map((group) => ({
        variant: group.variant,
        gain: meanStd(group.measurements.map((m) => m.reward - m.referenceReward)).mean,
        kl: meanStd(group.measurements.map((m) => m.kl)).mean,
        accuracy: meanStd(group.measurements.map((m) => m.rankingAccuracy)).mean,
      }));
    const best = atBeta.reduce((a, b) => (b.gain > a.gain ? b : a));
    const range = (values: number[]) => `${Math.min(...values).toFixed(3)}-${Math.max(...values).toFixed(3)}`;
    return `At beta ${beta}, ${best.variant} raised the true reward most (+${best.gain.toFixed(3)} over the reference, at KL ${best.kl.toFixed(3)}); across the variants KL spans ${range(atBeta.map((v) => v.kl))} nats and ranking accuracy ${range(atBeta.map((v) => v.accuracy))}.`;
  });
  const failures = cells
    .map(({ cell, result }) => ({ cell, m: result as LossVariantMeasurement }))
    .filter(({ m }) => !Number.isFinite(m.finalLoss) || !Number.isFinite(m.kl))
    .map(({ cell }) => `${cell.id}: non-finite loss or KL`);
  return {
    data: { settings, cells: cells.map(({ cell, result }) => ({ id: cell.id, ...(result as object) })) },
    tables: [table],
    plots: [
      {
        title: 'True reward gain against KL to the reference, per cell',
        file: 'reward-vs-kl.svg',
        spec: {
          $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
          data: { values: cells.map(({ result }) => result) },
          mark: { type: 'point', filled: true },
          transform: [{ calculate: 'datum.reward - datum.referenceReward', as: 'gain' }],
          encoding: {
            x: { field: 'kl', type: 'quantitative', title: 'KL(pi || ref), nats' },
            y: { field: 'gain', type: 'quantitative', title: 'true reward gain' },
            color: { field: 'variant', type: 'nominal' },
            shape: { field: 'beta', type: 'nominal' },
          },
        },
      },
    ],
    images: [],
    findings,
    ...(failures.length ? { failures } : {}),
  };
}
