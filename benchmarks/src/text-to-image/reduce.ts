import * as path from 'node:path';
import { writeImageGrid } from '@dpo-ts/diffusion';
import type { BenchmarkContext, BenchmarkResult, ReportImage, ReportPlot } from '../harness/benchmark.js';
import type { CellResult } from '../harness/cells.js';
import { MEASURE_LABELS } from './caption-units.js';
import { finishedCells, summarizeT2I, type FinishedCell, type T2ISummary } from './collect.js';
import { decodeGridImages } from './evaluate-model.js';
import {
  baseTable,
  comparisonTable,
  LABELER_LABELS,
  METHOD_LABELS,
  netTable,
  sweepTable,
  t2iFindings,
  TARGET_MEASURES,
} from './report-tables.js';
import type { T2ILabeler, T2IMethod, T2ISettings } from './settings.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Turns every cell's result into the report: tables, findings, two plots, a grid per labeler, and the data. */
export async function reduceT2I(
  cells: readonly CellResult[],
  context: BenchmarkContext,
  settings: T2ISettings,
): Promise<BenchmarkResult> {
  const finished = finishedCells(cells);
  const summary = summarizeT2I(finished, settings);
  const images: ReportImage[] = [];
  for (const labeler of Object.keys(summary.chosenBeta) as T2ILabeler[])
    images.push(await writeLabelerGrid(context.outDir, summary, labeler));
  return {
    data: {
      settings,
      baseModel: summary.base[0]?.result.baseModel ?? null,
      seeds: summary.seeds,
      chosenBeta: summary.chosenBeta,
      sweep: summary.sweep,
      rows: summary.rows,
      net: summary.net,
      cells: finished.map(({ cell, result }) => ({
        id: `${cell.labeler ?? 'base'}/${cell.method}/${cell.beta ?? '-'}/${cell.seed}`,
        ...cell,
        settings: undefined,
        trainSeconds: result.trainSeconds,
        seconds: result.seconds,
        details: result.details,
        pairs: result.pairs,
        evaluation: { ...result.evaluation, grid: undefined },
      })),
    },
    tables: [comparisonTable(summary, settings), netTable(summary), sweepTable(summary), baseTable(summary)],
    plots: [targetPlot(summary), netPlot(summary)],
    images,
    findings: t2iFindings(summary, settings),
  };
}

const GRID_METHODS: readonly T2IMethod[] = [
  'dpo',
  'dpo-shuffled',
  'dpo-flipped',
  'sft-winners',
  'sft-losers',
  'ddpo',
  'ddpo-negated',
];

/**
 * One PNG per labeler from the first seed: a row per test caption, columns base then each
 * method (DPO runs at the chosen β), every column from the same noise per row.
 */
async function writeLabelerGrid(outDir: string, summary: T2ISummary, labeler: T2ILabeler): Promise<ReportImage> {
  const seed = summary.seeds[0]!;
  const beta = summary.chosenBeta[labeler];
  const pick = (method: T2IMethod): FinishedCell =>
    summary.cells.find(
      (c) =>
        c.cell.seed === seed &&
        c.cell.method === method &&
        (method === 'base' || c.cell.labeler === labeler) &&
        (!method.startsWith('dpo') || c.cell.beta === beta),
    )!;
  const columns = [pick('base'), ...GRID_METHODS.map(pick)].map((c) => decodeGridImages(c.result.evaluation.grid));
  const rows = columns[0]!.length / 3072;
  const data = new Float32Array(rows * columns.length * 3072);
  for (let r = 0; r < rows; r++)
    columns.forEach((images, c) => {
      data.set(images.subarray(r * 3072, (r + 1) * 3072), (r * columns.length + c) * 3072);
    });
  const file = `samples-${labeler}.png`;
  await writeImageGrid(
    path.join(outDir, file),
    { data, shape: [rows * columns.length, 32, 32, 3] },
    {
      columns: columns.length,
      scale: 2,
    },
  );
  const captions = summary.base.find((b) => b.cell.seed === seed)!.result.evaluation.test.captions.slice(0, rows);
  return {
    title: `${LABELER_LABELS[labeler]}, seed ${seed}: one held-out caption per row (${captions.map((c) => `"${c}"`).join(', ')}); columns: base, ${GRID_METHODS.map((m) => METHOD_LABELS[m]).join(', ')} (DPO runs at β ${beta}); the same noise across each row`,
    file,
  };
}

/** Each method's win rate on its labeler's target oracle, with CIs, per labeler. */
function targetPlot(summary: T2ISummary): ReportPlot {
  const values = summary.rows.map((row) => {
    const measure = TARGET_MEASURES[row.labeler][0]!;
    const interval = row.measures[measure];
    return {
      labeler: `${LABELER_LABELS[row.labeler]}: ${MEASURE_LABELS[measure]}`,
      method: METHOD_LABELS[row.method],
      estimate: interval.estimate,
      low: interval.low,
      high: interval.high,
    };
  });
  const x = { field: 'method', type: 'nominal', title: null, axis: { labelAngle: -30, labelLimit: 220 } };
  return {
    title: "Win rate against the base on the labeler's target oracle (95% CI; 0.5 = no change)",
    file: 'target-win-rate.svg',
    spec: {
      $schema: SCHEMA,
      data: { values },
      facet: { column: { field: 'labeler', type: 'nominal', title: null } },
      spec: {
        width: 260,
        height: 240,
        layer: [
          {
            mark: { type: 'rule', strokeWidth: 2 },
            encoding: {
              x,
              y: { field: 'low', type: 'quantitative', scale: { domain: [0, 1] }, title: 'win rate vs base' },
              y2: { field: 'high' },
            },
          },
          {
            mark: { type: 'point', filled: true, size: 60 },
            encoding: {
              x,
              y: { field: 'estimate', type: 'quantitative' },
              color: { field: 'method', type: 'nominal', legend: null },
            },
          },
          { mark: { type: 'rule', color: 'red', strokeDash: [4, 4] }, encoding: { y: { datum: 0.5 } } },
        ],
      },
    },
  };
}

/** Each method net of each of its controls on the four main measures, per labeler. */
function netPlot(summary: T2ISummary): ReportPlot {
  const values = summary.net.flatMap((row) =>
    (['clipWinRate', 'styleWinRate', 'styleShare', 'retrieval'] as const).map((measure) => ({
      labeler: LABELER_LABELS[row.labeler],
      control: `${METHOD_LABELS[row.method]} minus ${METHOD_LABELS[row.control]}`,
      measure: MEASURE_LABELS[measure],
      estimate: row.measures[measure].estimate,
      low: row.measures[measure].low,
      high: row.measures[measure].high,
    })),
  );
  const y = { field: 'measure', type: 'nominal', title: null, axis: { labelLimit: 220 } };
  return {
    title: 'Net of the label controls (95% CI; 0 = no label-specific effect)',
    file: 'net-of-controls.svg',
    spec: {
      $schema: SCHEMA,
      data: { values },
      facet: { row: { field: 'labeler', type: 'nominal', title: null } },
      spec: {
        width: 380,
        height: 120,
        layer: [
          {
            mark: { type: 'rule', strokeWidth: 2 },
            encoding: {
              y,
              yOffset: { field: 'control' },
              x: { field: 'low', type: 'quantitative', title: 'method minus control' },
              x2: { field: 'high' },
              color: {
                field: 'control',
                type: 'nominal',
                legend: { labelLimit: 420, orient: 'bottom', direction: 'vertical' },
              },
            },
          },
          {
            mark: { type: 'point', filled: true },
            encoding: {
              y,
              yOffset: { field: 'control' },
              x: { field: 'estimate', type: 'quantitative' },
              color: {
                field: 'control',
                type: 'nominal',
                legend: { labelLimit: 420, orient: 'bottom', direction: 'vertical' },
              },
            },
          },
          { mark: { type: 'rule', color: 'black', strokeDash: [4, 4] }, encoding: { x: { datum: 0 } } },
        ],
      },
    },
  };
}
