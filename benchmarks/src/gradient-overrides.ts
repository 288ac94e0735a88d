/**
 * Times training steps on wasm with tfjs's own gradients and with dpo-ts's gradient overrides
 * (`@dpo-ts/core` backend/) and prints Markdown tables; registered in the suite as
 * `gradient-overrides` (`gradient-overrides-benchmark.ts`: `dpo-ts bench gradient-overrides`).
 *
 * Steps: a GPT-like LM step (d 128, 4 layers, batch 16 x 64 tokens); forward + backward of single
 * matmuls; a small conv / conv-transpose step, also on cpu for reference. Times are medians of
 * `steps` runs after `warmup` runs, the variants interleaved, in one process, one thread.
 */
import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, type BackendName, type GradientOverrideName } from '@dpo-ts/core/backend';
import {
  GPT_D128,
  SMALL_CONV,
  makeConvStep,
  makeLmStep,
  makeMatMulStep,
  type LmStepConfig,
  type TimedStep,
} from './gradient-overrides-steps.js';

/** Options of {@link runGradientOverridesBenchmark}. */
export interface GradientOverridesBenchmarkOptions {
  /** Timed runs per measurement. @defaultValue 5 */
  readonly steps?: number;
  /** Untimed runs first. @defaultValue 1 */
  readonly warmup?: number;
  /** Receives each line of the Markdown report. @defaultValue console.log */
  readonly print?: (line: string) => void;
  /** Shape of the LM step. @defaultValue {@link GPT_D128} */
  readonly lmConfig?: LmStepConfig;
  /** How many of the single-matmul products to time, from the first (smoke runs time two). @defaultValue all five */
  readonly matMulProducts?: number;
}

/** One timed configuration: `ms` is null when the step cannot run (`error` says why). */
export interface Timing {
  readonly label: string;
  readonly backend: BackendName;
  readonly overrides: readonly GradientOverrideName[];
  readonly ms: number | null;
  readonly gflops: number | null;
  readonly samplesMs: readonly number[];
  readonly error?: string;
  /**
   * Tensors tfjs's engine left alive when the step threw: it keeps the tensors each tape node
   * saved for the backward pass outside every `tf.tidy` and frees them only at the end of a
   * backprop that succeeds. The benchmark frees them ({@link releaseFailedTape}), so none
   * outlives the run. Present only with `error`.
   */
  readonly tensorsLeftOnError?: number;
}

/** Everything the benchmark measured, as written to JSON. */
export interface GradientOverridesReport {
  readonly date: string;
  readonly node: string;
  readonly tfjs: string;
  readonly cpu: string;
  readonly steps: number;
  readonly warmup: number;
  readonly lmStep: { readonly config: LmStepConfig; readonly timings: Timing[] };
  readonly matMulBackward: { readonly shape: string; readonly timings: Timing[] }[];
  readonly convStep: { readonly config: typeof SMALL_CONV; readonly timings: Timing[] };
}

// Every override; the benchmark names lists rather than 'default' so the table says what ran.
const ALL: GradientOverrideName[] = ['BatchMatMul', 'Conv2D', 'Conv2DBackpropInput', 'GatherV2'];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** A configuration to time: which gradient overrides are registered. */
interface Variant {
  readonly label: string;
  readonly overrides: GradientOverrideName[];
}

/**
 * Frees the tensors that a failed `tf.variableGrads` / `tf.grads` leaves on tfjs's tape. The engine
 * keeps (`keep`) a clone of each tensor a kernel saves for its gradient and disposes them after a
 * successful backprop only; when backprop throws (a missing kernel, a shape error) the tape keeps
 * them alive until the next gradient call replaces it, unreachable from any tidy. Call it right
 * after the throw, outside any gradient computation.
 * @returns how many tensors it freed.
 */
export function releaseFailedTape(): number {
  const state = tf.engine().state;
  if (state.gradientDepth !== 0 || !Array.isArray(state.activeTape)) return 0;
  const before = tf.memory().numTensors;
  for (const node of state.activeTape) for (const tensor of node.saved ?? []) tensor.dispose();
  state.activeTape = [];
  return before - tf.memory().numTensors;
}

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n', 1)[0]!;

/**
 * Times one step under several gradient configurations on one backend, interleaved (A, B, A, B,
 * ...) so that load from other processes affects every variant alike. A variant whose step
 * throws (a missing kernel) is reported with the error instead of a time.
 */
async function compare(
  backend: BackendName,
  variants: Variant[],
  make: () => TimedStep,
  steps: number,
  warmup: number,
): Promise<Timing[]> {
  await selectBackend({ backend, gradientOverrides: 'none', quiet: true });
  const step = make();
  const use = (variant: Variant) => selectBackend({ backend, gradientOverrides: variant.overrides, quiet: true });
  const samples = variants.map(() => [] as number[]);
  const errors = new Map<number, { message: string; tensorsLeft: number }>();
  try {
    for (const [i, variant] of variants.entries()) {
      await use(variant);
      const tensorsBefore = tf.memory().numTensors;
      try {
        for (let w = 0; w < Math.max(warmup, 1); w++) step.run();
      } catch (error) {
        const tensorsLeft = tf.memory().numTensors - tensorsBefore;
        releaseFailedTape();
        errors.set(i, { message: firstLine(error), tensorsLeft });
      }
    }
    for (let s = 0; s < steps; s++) {
      for (const [i, variant] of variants.entries()) {
        if (errors.has(i)) continue;
        await use(variant);
        const start = performance.now();
        step.run();
        samples[i]!.push(performance.now() - start);
      }
    }
  } finally {
    step.dispose();
  }
  return variants.map((variant, i) => {
    const error = errors.get(i);
    const base = { label: variant.label, backend, overrides: variant.overrides };
    if (error !== undefined)
      return {
        ...base,
        ms: null,
        gflops: null,
        samplesMs: [],
        error: error.message,
        tensorsLeftOnError: error.tensorsLeft,
      };
    const ms = median(samples[i]!);
    return { ...base, ms, gflops: step.flops / ms / 1e6, samplesMs: samples[i]! };
  });
}

const fixed = (value: number | null, digits: number) => (value === null ? '-' : value.toFixed(digits));

function table(timings: Timing[], baseline: Timing | undefined): string[] {
  const lines = ['| backend | gradients | ms/step | GFLOP/s | speed-up |', '|---|---|---:|---:|---:|'];
  for (const t of timings) {
    const speedUp = baseline?.ms && t.ms ? `${(baseline.ms / t.ms).toFixed(2)}x` : '-';
    const ms = t.ms === null ? `not available (${t.error})` : fixed(t.ms, 1);
    lines.push(`| ${t.backend} | ${t.label} | ${ms} | ${fixed(t.gflops, 2)} | ${speedUp} |`);
  }
  return lines;
}

/** The single matmul products timed: [label, a shape, b shape, transpose b]. */
export const MATMUL_PRODUCTS: readonly (readonly [string, number[], number[], boolean])[] = [
  ['linear 2-D [1024,128] x [128,512]', [1024, 128], [128, 512], false],
  ['linear 3-D [16,64,128] x [128,512] (broadcast)', [16, 64, 128], [128, 512], false],
  ['attention q k^T [64,64,32] x [64,64,32]^T', [64, 64, 32], [64, 64, 32], true],
  ['attention p v [64,64,64] x [64,64,32]', [64, 64, 64], [64, 64, 32], false],
  ['batched [16,128,128] x [16,128,128]', [16, 128, 128], [16, 128, 128], false],
];

/**
 * The LM step on wasm with tfjs's BatchMatMul gradient and with every override. tfjs's own
 * GatherV2 gradient needs UnsortedSegmentSum, which wasm lacks: the baseline keeps that
 * override so the step runs at all, and differs only in the BatchMatMul gradient.
 */
export function measureLmStep(config: LmStepConfig, steps: number, warmup: number): Promise<Timing[]> {
  return compare(
    'wasm',
    [
      { label: "tfjs's BatchMatMul gradient (GatherV2 override only)", overrides: ['GatherV2'] },
      { label: 'dpo-ts overrides', overrides: ALL },
    ],
    () => makeLmStep(config),
    steps,
    warmup,
  );
}

/** Forward + backward of matmul product `index` of {@link MATMUL_PRODUCTS} on wasm, tfjs's gradient vs the override. */
export async function measureMatMulProduct(
  index: number,
  steps: number,
  warmup: number,
): Promise<GradientOverridesReport['matMulBackward'][number]> {
  const [shape, a, b, transposeB] = MATMUL_PRODUCTS[index]!;
  const timings = await compare(
    'wasm',
    [
      { label: "tfjs's gradient", overrides: [] },
      { label: 'dpo-ts override', overrides: ['BatchMatMul'] },
    ],
    () => makeMatMulStep(a, b, transposeB),
    steps,
    warmup,
  );
  return { shape, timings };
}

/** The conv step on `backend` with tfjs's gradients and with the overrides (cpu: at most 3 steps, 1 warm-up). */
export function measureConvStep(backend: 'wasm' | 'cpu', steps: number, warmup: number): Promise<Timing[]> {
  const variants: Variant[] = [
    { label: "tfjs's gradients", overrides: [] },
    { label: 'dpo-ts overrides', overrides: ALL },
  ];
  return backend === 'wasm'
    ? compare('wasm', variants, () => makeConvStep(SMALL_CONV), steps, warmup)
    : compare('cpu', variants, () => makeConvStep(SMALL_CONV), Math.min(steps, 3), 1);
}

/**
 * Runs the benchmark and returns the report; prints Markdown as it goes. Switches the process's
 * backend (wasm, then cpu) and leaves wasm with all overrides selected.
 */
export async function runGradientOverridesBenchmark(
  options: GradientOverridesBenchmarkOptions = {},
): Promise<GradientOverridesReport> {
  const { steps = 5, warmup = 1, print = (line: string) => console.log(line), lmConfig: c = GPT_D128 } = options;
  print(`## Gradient overrides (tfjs ${tf.version_core}, ${cpus()[0]?.model ?? 'unknown cpu'}, median of ${steps})`);
  print('');
  print(
    `### GPT-like LM step: vocab ${c.vocabulary}, context ${c.context}, d ${c.dModel}, ${c.layers} layers, ${c.heads} heads, batch ${c.batch}`,
  );
  print('');
  const lm = await measureLmStep(c, steps, warmup);
  table(lm, lm[0]).forEach(print);

  print('');
  print('### Forward + backward of one matmul (wasm)');
  print('');
  const matMulBackward: GradientOverridesReport['matMulBackward'] = [];
  for (let index = 0; index < (options.matMulProducts ?? MATMUL_PRODUCTS.length); index++)
    matMulBackward.push(await measureMatMulProduct(index, steps, warmup));
  print('| product | tfjs ms | override ms | speed-up |');
  print('|---|---:|---:|---:|');
  for (const { shape, timings } of matMulBackward) {
    const [before, after] = timings as [Timing, Timing];
    const note = before.ms === null ? 'fails: shape error (no sum over broadcast batch)' : fixed(before.ms, 1);
    const speedUp = before.ms && after.ms ? `${(before.ms / after.ms).toFixed(2)}x` : '-';
    print(`| ${shape} | ${note} | ${fixed(after.ms, 1)} | ${speedUp} |`);
  }

  print('');
  const v = SMALL_CONV;
  print(
    `### Conv step: [${v.batch},${v.size},${v.size},${v.channels}], conv 3x3, conv 3x3 stride 2, conv2dTranspose stride 2`,
  );
  print('');
  const conv = [...(await measureConvStep('wasm', steps, warmup)), ...(await measureConvStep('cpu', steps, warmup))];
  table(conv, conv[2]).forEach(print);
  print('');
  print("(conv speed-ups are relative to cpu with tfjs's gradients; wasm has no Conv2DBackpropFilter kernel)");

  await selectBackend({ backend: 'wasm', gradientOverrides: 'default', quiet: true });
  return {
    date: new Date().toISOString(),
    node: process.version,
    tfjs: tf.version_core,
    cpu: cpus()[0]?.model ?? 'unknown',
    steps,
    warmup,
    lmStep: { config: c, timings: lm },
    matMulBackward,
    convStep: { config: v, timings: conv },
  };
}
