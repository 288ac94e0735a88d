import * as tf from '@tensorflow/tfjs-core';
import type { ReportTable } from '../harness/benchmark.js';
import type { ThroughputStepName } from './sizes.js';
import type { ThroughputStep } from './steps.js';

/** The steps whose worker also profiles one step kernel by kernel: the DPO step, the one the notes compare. */
export const PROFILED_STEPS: readonly ThroughputStepName[] = ['dpo'];

/**
 * Whether the worker profiles this (backend, step): the {@link PROFILED_STEPS} on every backend
 * but cpu (pure JS, 20-40x slower: a profiled step costs another minute and says nothing about
 * the backends people train on).
 */
export const profiles = (backend: string, step: ThroughputStepName): boolean =>
  backend !== 'cpu' && PROFILED_STEPS.includes(step);

/** How many kernels the profile keeps, by total time. */
export const KERNEL_PROFILE_TOP = 15;

/** One tfjs kernel's time over a profiled step. */
export interface KernelProfileEntry {
  /** tfjs kernel name (`BatchMatMul`, `Sum`, ...). */
  readonly kernel: string;
  /** Sum of its calls' kernelTimeMs. */
  readonly totalMs: number;
  readonly calls: number;
  /** totalMs / the profiled step's wall time, in [0, 1]. */
  readonly share: number;
  /** Its costliest input shapes (`[2048,128]x[128,512]`), up to 3, with their ms and calls. */
  readonly topShapes: readonly { readonly shapes: string; readonly totalMs: number; readonly calls: number }[];
}

/** Where one training step's time went, kernel by kernel (what {@link profileStep} returns). */
export interface KernelProfile {
  readonly step: string;
  /** Wall time of the profiled step (profiling adds a little per kernel). */
  readonly wallMs: number;
  /** Sum of every kernel's time; the rest of wallMs is JavaScript outside kernels. */
  readonly kernelMs: number;
  /** Kernel calls in the step. */
  readonly calls: number;
  /** The {@link KERNEL_PROFILE_TOP} kernels with the most total time, costliest first. */
  readonly top: readonly KernelProfileEntry[];
}

/** What tf.profile records per kernel call (the fields used here). */
export interface KernelRecord {
  readonly name: string;
  readonly kernelTimeMs: number | { error: string };
  readonly inputShapes: readonly (readonly number[] | null)[];
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));
const shapesOf = (record: KernelRecord) => record.inputShapes.map((shape) => `[${shape ?? ''}]`).join('x');

/**
 * Groups kernel calls by kernel name: total time, calls, share of `wallMs`, and per kernel its
 * costliest input shapes. Calls whose backend could not time them (an `{ error }` time) count as
 * calls with 0 ms. Returns the `top` kernels by total time.
 */
export function summarizeKernels(
  step: string,
  records: readonly KernelRecord[],
  wallMs: number,
  top = KERNEL_PROFILE_TOP,
): KernelProfile {
  const byKernel = new Map<
    string,
    { totalMs: number; calls: number; shapes: Map<string, { totalMs: number; calls: number }> }
  >();
  let kernelMs = 0;
  for (const record of records) {
    const ms = typeof record.kernelTimeMs === 'number' ? record.kernelTimeMs : 0;
    kernelMs += ms;
    const entry = byKernel.get(record.name) ?? { totalMs: 0, calls: 0, shapes: new Map() };
    entry.totalMs += ms;
    entry.calls += 1;
    const key = shapesOf(record);
    const shape = entry.shapes.get(key) ?? { totalMs: 0, calls: 0 };
    shape.totalMs += ms;
    shape.calls += 1;
    entry.shapes.set(key, shape);
    byKernel.set(record.name, entry);
  }
  const entries = [...byKernel]
    .sort((x, y) => y[1].totalMs - x[1].totalMs)
    .slice(0, top)
    .map(([kernel, entry]) => ({
      kernel,
      totalMs: round(entry.totalMs, 2),
      calls: entry.calls,
      share: wallMs > 0 ? round(entry.totalMs / wallMs, 4) : 0,
      topShapes: [...entry.shapes]
        .sort((x, y) => y[1].totalMs - x[1].totalMs)
        .slice(0, 3)
        .map(([shapes, s]) => ({ shapes, totalMs: round(s.totalMs, 2), calls: s.calls })),
    }));
  return { step, wallMs: round(wallMs, 1), kernelMs: round(kernelMs, 1), calls: records.length, top: entries };
}

/**
 * Runs step `index` once under `tf.profile` and summarises where its time went. Run it after
 * the timed steps: profiling times each kernel on its own (wasm and cpu read a clock around
 * each call), which adds a little to the step, so the profiled step is not one of the timed ones.
 */
export async function profileStep(step: ThroughputStep, index: number): Promise<KernelProfile> {
  const start = performance.now();
  const info = await tf.profile(() => step.run(index));
  const wallMs = performance.now() - start;
  return summarizeKernels(step.name, info.kernels as unknown as KernelRecord[], wallMs);
}

/** The profile as a report table: one row per kernel, costliest first. */
export function kernelProfileTable(profile: KernelProfile, label: string, backend: string): ReportTable {
  const rest = profile.wallMs - profile.kernelMs;
  return {
    title: `Kernel profile: one ${label} on ${backend} (top ${profile.top.length} of the step's kernels by total time)`,
    columns: ['kernel', 'total ms', 'calls', 'share of the step', 'costliest input shapes (ms, calls)'],
    rows: profile.top.map((entry) => [
      entry.kernel,
      round(entry.totalMs, 1),
      entry.calls,
      `${(entry.share * 100).toFixed(1)}%`,
      entry.topShapes.map((s) => `${s.shapes} (${s.totalMs.toFixed(1)}, ${s.calls})`).join('; '),
    ]),
    note:
      `One step after the timed ones, under tf.profile (kernelTimeMs: the backend's clock around each kernel call). ` +
      `The step took ${profile.wallMs.toFixed(0)} ms with ${profile.calls} kernel calls; kernels account for ${profile.kernelMs.toFixed(0)} ms ` +
      `and ${Math.max(0, rest).toFixed(0)} ms went to JavaScript between them (tape, tidy, optimizer bookkeeping). ` +
      "Shares are of the profiled step's wall time; shapes are the kernel's inputs.",
  };
}
