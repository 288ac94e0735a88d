import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@dpo-ts/core';
import type { BenchmarkMode, BenchmarkResult, ReportTable } from './harness/benchmark.js';
import { type CellMachine, cellMachine, machineReport } from './harness/cell-machine.js';
import { type BenchmarkCell, type CellBenchmark, type CellResult, runCellsInProcess } from './harness/cells.js';
import {
  type GradientOverridesReport,
  type Timing,
  MATMUL_PRODUCTS,
  measureConvStep,
  measureLmStep,
  measureMatMulProduct,
} from './gradient-overrides.js';
import { GPT_D128, SMALL_CONV, type LmStepConfig } from './gradient-overrides-steps.js';

/** Steps, warm-up, LM shape and matmul products timed per mode. */
const SIZES: Record<BenchmarkMode, { steps: number; warmup: number; lmConfig: LmStepConfig; matMulProducts: number }> =
  {
    smoke: {
      steps: 1,
      warmup: 1,
      lmConfig: { vocabulary: 32, context: 16, dModel: 32, layers: 1, heads: 2, batch: 2 },
      matMulProducts: 2,
    },
    quick: { steps: 2, warmup: 1, lmConfig: GPT_D128, matMulProducts: 5 },
    full: { steps: 10, warmup: 2, lmConfig: GPT_D128, matMulProducts: 5 },
  };

const ms = (timing: Timing | undefined) =>
  timing?.ms === null || timing?.ms === undefined ? null : Math.round(timing.ms * 10) / 10;
const speedUp = (before: Timing | undefined, after: Timing | undefined) =>
  before?.ms && after?.ms ? `${(before.ms / after.ms).toFixed(2)}x` : '-';

function timingRows(timings: readonly Timing[], baseline: Timing | undefined): (string | number | null)[][] {
  return timings.map((t) => [
    t.backend,
    t.label,
    t.ms === null ? `not available: ${t.error ?? 'fails'}` : ms(t),
    t.gflops === null ? null : Number(t.gflops.toFixed(2)),
    speedUp(baseline, t),
  ]);
}

/** Tables, plot and findings from the benchmark's report. */
export function gradientOverridesResult(report: GradientOverridesReport): BenchmarkResult {
  const c = report.lmStep.config;
  const columns = ['backend', 'gradients', 'ms / step', 'GFLOP/s', 'speed-up'];
  const [lmBefore, lmAfter] = report.lmStep.timings;
  const conv = report.convStep.timings;
  const convBaseline = conv.find((t) => t.backend === 'cpu' && t.overrides.length === 0);
  const tables: ReportTable[] = [
    {
      title: `GPT-like LM step (vocab ${c.vocabulary}, context ${c.context}, d ${c.dModel}, ${c.layers} layers, batch ${c.batch}), wasm`,
      columns,
      rows: timingRows(report.lmStep.timings, lmBefore),
      note: `Forward + backward of a next-token loss, median of ${report.steps} steps after ${report.warmup} warm-up, variants interleaved. GFLOP/s counts the matmuls only: 3 x forward (forward + two backward products).`,
    },
    {
      title: 'Forward + backward of one matmul, wasm',
      columns: ['product', "tfjs's gradient (ms)", 'override (ms)', 'speed-up'],
      rows: report.matMulBackward.map(({ shape, timings: [before, after] }) => [
        shape,
        before?.ms === null ? 'fails: shape error (no sum over broadcast batch)' : ms(before),
        ms(after),
        speedUp(before, after),
      ]),
    },
    {
      title: `Conv step [${report.convStep.config.batch},${report.convStep.config.size},${report.convStep.config.size},${report.convStep.config.channels}]: conv 3x3, conv stride 2, conv2dTranspose stride 2`,
      columns,
      rows: timingRows(conv, convBaseline),
      note: "Speed-ups relative to cpu with tfjs's gradients; wasm has no Conv2DBackpropFilter kernel, so its conv gradients need the overrides.",
    },
  ];
  const bars = [
    ...report.lmStep.timings.map((t) => ({ step: 'LM step', variant: `${t.backend}: ${t.label}`, ms: t.ms })),
    ...conv.map((t) => ({ step: 'conv step', variant: `${t.backend}: ${t.label}`, ms: t.ms })),
  ].filter((bar) => bar.ms !== null);
  const findings: string[] = [];
  if (lmBefore?.ms && lmAfter?.ms) {
    findings.push(
      `On wasm the BatchMatMul override makes the LM step ${(lmBefore.ms / lmAfter.ms).toFixed(1)}x faster (${lmBefore.ms.toFixed(0)} -> ${lmAfter.ms.toFixed(0)} ms): tfjs's own gradient uses transposed matmuls, which miss wasm's fast XNNPACK path.`,
    );
  }
  const wasmConvOwn = conv.find((t) => t.backend === 'wasm' && t.overrides.length === 0);
  const wasmConvOverride = conv.find((t) => t.backend === 'wasm' && t.overrides.length > 0);
  if (wasmConvOwn?.ms === null)
    findings.push(
      `With tfjs's own gradients the conv step cannot train on wasm (${wasmConvOwn.error ?? 'missing kernel'}); with the overrides it runs in ${wasmConvOverride?.ms?.toFixed(1) ?? '-'} ms.`,
    );
  if (convBaseline?.ms && wasmConvOverride?.ms)
    findings.push(
      `wasm with the overrides runs the conv step ${(convBaseline.ms / wasmConvOverride.ms).toFixed(1)}x faster than cpu with tfjs's gradients.`,
    );
  const failed = [...report.lmStep.timings, ...report.matMulBackward.flatMap((m) => m.timings), ...conv].filter(
    (t) => t.error !== undefined,
  );
  const leftByTfjs = failed.reduce((sum, t) => sum + (t.tensorsLeftOnError ?? 0), 0);
  if (leftByTfjs > 0) {
    findings.push(
      `Where tfjs's own gradients fail (${failed.length} configuration(s)) its engine left ${leftByTfjs} tensors alive: the tensors saved for backprop are kept outside every tf.tidy and freed only after a backprop that succeeds. The benchmark frees them from the tape after each failure (none outlives the run); ` +
        "the runs with dpo-ts's overrides leave none.",
    );
  }
  return {
    data: report as unknown as Record<string, unknown>,
    tables,
    plots: [
      {
        title: 'Milliseconds per training step by gradient implementation',
        file: 'step-times.svg',
        spec: {
          $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
          data: { values: bars },
          facet: { row: { field: 'step', type: 'nominal', title: null } },
          spec: {
            width: 360,
            mark: 'bar',
            encoding: {
              y: { field: 'variant', type: 'nominal', title: null, sort: null },
              x: { field: 'ms', type: 'quantitative', title: 'ms per step (median)' },
            },
          },
          resolve: { scale: { x: 'independent', y: 'independent' } },
        },
      },
    ],
    images: [],
    findings,
  };
}

/** One cell: the LM step, one matmul product, or the conv step on one backend, at the mode's step counts. */
export type GradientOverridesCell = { readonly steps: number; readonly warmup: number } & (
  | { readonly part: 'lm'; readonly lmConfig: LmStepConfig }
  | { readonly part: 'matmul'; readonly product: number }
  | { readonly part: 'conv'; readonly backend: 'wasm' | 'cpu' }
);

/** What a cell measured, with the machine it ran on. */
interface GradientOverridesCellResult {
  readonly timings: Timing[];
  readonly machine: CellMachine;
}

/** The cells of a mode: the LM step, each matmul product, the conv step on wasm then cpu. */
export function planGradientOverridesCells(mode: BenchmarkMode): BenchmarkCell[] {
  const { steps, warmup, lmConfig, matMulProducts } = SIZES[mode];
  const seconds = mode === 'smoke' ? 1 : 5 * (steps + warmup);
  return [
    { id: 'lm', payload: { part: 'lm', steps, warmup, lmConfig }, estimateSeconds: seconds * 4 },
    ...Array.from({ length: matMulProducts }, (_, product) => ({
      id: `matmul/${product}`,
      payload: { part: 'matmul', product, steps, warmup },
      estimateSeconds: seconds,
    })),
    { id: 'conv/wasm', payload: { part: 'conv', backend: 'wasm', steps, warmup }, estimateSeconds: seconds },
    { id: 'conv/cpu', payload: { part: 'conv', backend: 'cpu', steps, warmup }, estimateSeconds: seconds * 2 },
  ].map((cell) => ({ ...cell, payload: cell.payload as GradientOverridesCell }));
}

/**
 * Checks a cell payload from the queue.
 * @throws InvalidArgumentError naming the bad field.
 */
export function validateGradientOverridesCell(payload: unknown): GradientOverridesCell {
  const cell = payload as Partial<Record<string, unknown>> | null;
  if (cell === null || typeof cell !== 'object') throw new InvalidArgumentError('cell', 'an object', payload);
  for (const field of ['steps', 'warmup'] as const)
    if (!Number.isInteger(cell[field]) || (cell[field] as number) < (field === 'steps' ? 1 : 0))
      throw new InvalidArgumentError(
        `cell.${field}`,
        field === 'steps' ? 'an integer >= 1' : 'an integer >= 0',
        cell[field],
      );
  if (cell.part === 'lm') {
    const config = cell.lmConfig as Partial<Record<keyof LmStepConfig, unknown>> | undefined;
    for (const field of ['vocabulary', 'context', 'dModel', 'layers', 'heads', 'batch'] as const)
      if (!Number.isInteger(config?.[field]) || (config?.[field] as number) < 1)
        throw new InvalidArgumentError(`cell.lmConfig.${field}`, 'an integer >= 1', config?.[field]);
  } else if (cell.part === 'matmul') {
    if (
      !Number.isInteger(cell.product) ||
      (cell.product as number) < 0 ||
      (cell.product as number) >= MATMUL_PRODUCTS.length
    )
      throw new InvalidArgumentError('cell.product', `an integer in [0, ${MATMUL_PRODUCTS.length})`, cell.product);
  } else if (cell.part === 'conv') {
    if (cell.backend !== 'wasm' && cell.backend !== 'cpu')
      throw new InvalidArgumentError('cell.backend', '"wasm" or "cpu"', cell.backend);
  } else throw new InvalidArgumentError('cell.part', '"lm", "matmul" or "conv"', cell.part);
  return cell as GradientOverridesCell;
}

async function runGradientOverridesCell(cell: GradientOverridesCell): Promise<GradientOverridesCellResult> {
  const machine = cellMachine();
  switch (cell.part) {
    case 'lm':
      return { timings: await measureLmStep(cell.lmConfig, cell.steps, cell.warmup), machine };
    case 'matmul':
      return { timings: (await measureMatMulProduct(cell.product, cell.steps, cell.warmup)).timings, machine };
    case 'conv':
      return { timings: await measureConvStep(cell.backend, cell.steps, cell.warmup), machine };
  }
}

/** The report from every cell's result (plan order), with where each cell ran. */
export function reduceGradientOverrides(cells: readonly CellResult[], mode: BenchmarkMode): BenchmarkResult {
  const { steps, warmup, lmConfig } = SIZES[mode];
  const results = cells.map(({ cell, result }) => ({
    id: cell.id,
    payload: cell.payload as GradientOverridesCell,
    ...(result as GradientOverridesCellResult),
  }));
  const report: GradientOverridesReport = {
    date: new Date().toISOString(),
    node: process.version,
    tfjs: tf.version_core,
    cpu: results[0]?.machine.cpu ?? 'unknown',
    steps,
    warmup,
    lmStep: { config: lmConfig, timings: results.find((r) => r.payload.part === 'lm')?.timings ?? [] },
    matMulBackward: results.flatMap((r) =>
      r.payload.part === 'matmul' ? [{ shape: MATMUL_PRODUCTS[r.payload.product]![0], timings: r.timings }] : [],
    ),
    convStep: { config: SMALL_CONV, timings: results.flatMap((r) => (r.payload.part === 'conv' ? r.timings : [])) },
  };
  const result = gradientOverridesResult(report);
  const machines = machineReport(results);
  return {
    ...result,
    data: { ...result.data, machines: results.map(({ id, machine }) => ({ id, ...machine })) },
    tables: [...result.tables, ...machines.tables],
    findings: [...result.findings, ...machines.findings],
  };
}

/**
 * The suite's `gradient-overrides` benchmark: training steps on wasm with tfjs's own gradients
 * and with dpo-ts's overrides (an LM step, single matmuls, a conv step, also on cpu), as cells
 * (the LM step, each matmul product, the conv step per backend) that run in-process or on a
 * queue's workers; the report marks the machine of each cell when they differ. Switches the
 * process's backend to wasm and cpu while it runs; the runner re-selects its backend after.
 */
export const gradientOverridesBenchmark: CellBenchmark = {
  name: 'gradient-overrides',
  title: 'wasm gradient overrides',
  description:
    "Speed of training steps on tfjs's wasm backend with tfjs's own gradients and with dpo-ts's gradient overrides (BatchMatMul, Conv2D, Conv2DBackpropInput, GatherV2): a GPT-like LM step, single matmul products, and a small conv / conv-transpose step (also on cpu).",
  expectedMinutes: { smoke: 0.3, quick: 1, full: 4 },
  plan: (context) => planGradientOverridesCells(context.mode),
  validateCell: (payload) => {
    validateGradientOverridesCell(payload);
  },
  runCell: (payload) => runGradientOverridesCell(validateGradientOverridesCell(payload)),
  reduce: async (cells, context) => reduceGradientOverrides(cells, context.mode),
  run: (context) => runCellsInProcess(gradientOverridesBenchmark, context),
};
