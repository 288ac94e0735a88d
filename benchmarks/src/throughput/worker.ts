/**
 * One throughput measurement in its own process: selects a backend, builds one step, times it
 * and writes the {@link WorkerOutput} JSON. The throughput benchmark starts one per (backend,
 * step), so each backend gets a fresh tfjs engine (no switching inside a process), each step
 * its own peak RSS, and a crash or a stuck step loses only that measurement.
 *
 *   node dist/throughput/worker.js --backend wasm --mode quick --step 0 --out step.json
 *
 * Progress lines go to stderr. Exit code 0 also when the backend is unavailable (the JSON says
 * why); non-zero only when the step itself failed.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError, selectBackend, type BackendInfo, type BackendName } from '@dpo-ts/core/backend';
import { STEP_PHASES_ENV } from '@dpo-ts/core/parallel';
import type { BenchmarkMode } from '../harness/benchmark.js';
import { profileStep, profiles, type KernelProfile } from './kernel-profile.js';
import { measureStep, measureTraining, type StepMeasurement } from './measure.js';
import { THROUGHPUT_SIZES, repetitions, sizesFor, workerRepetitions } from './sizes.js';
import { parallelStepBuilders, stepBuilders, type ThroughputStep } from './steps.js';

/** What a worker writes: a measurement, a skip, or why the backend or the step could not run. */
export type WorkerOutput =
  | {
      readonly kind: 'measured';
      readonly backend: BackendName;
      readonly backendDetail: string;
      readonly measurement: StepMeasurement;
      readonly peakRssMiB: number;
      /** 1-minute load average before and after the timed steps (other processes slow them). */
      readonly loadAverage: readonly [number, number];
      /** Time per tfjs kernel over one extra step (where kernel-profile.ts's `profiles` says so). */
      readonly kernelProfile?: KernelProfile;
    }
  | { readonly kind: 'skipped'; readonly backend: BackendName; readonly step: string; readonly reason: string }
  | { readonly kind: 'unavailable'; readonly backend: BackendName; readonly reason: string }
  | { readonly kind: 'failed'; readonly backend: BackendName; readonly step: string; readonly error: string };

function detail(info: BackendInfo): string {
  const parts = [info.package];
  if (info.simd !== undefined) parts.push(info.simd ? 'SIMD' : 'no SIMD');
  if (info.threads !== undefined) parts.push(`${info.threads} thread${info.threads === 1 ? '' : 's'}`);
  return parts.join(', ');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      backend: { type: 'string' },
      mode: { type: 'string' },
      step: { type: 'string' },
      out: { type: 'string' },
      workers: { type: 'string' },
    },
  });
  const backend = values.backend as BackendName;
  const mode = values.mode as BenchmarkMode;
  const out = values.out;
  if (!out || !(mode in THROUGHPUT_SIZES) || !backend)
    throw new Error('usage: worker.js --backend <name> --mode smoke|quick|full --step <index> --out <file.json>');
  const write = (output: WorkerOutput) => writeFileSync(out, `${JSON.stringify(output, null, 2)}\n`);
  // --workers N: the step of the 1-vs-N-workers table, timed through the trainer's train().
  const workers = values.workers === undefined ? undefined : Number(values.workers);
  // Trainers log their step's phases (time/*) for the phases table; worker threads inherit it.
  if (workers !== undefined) process.env[STEP_PHASES_ENV] = '1';
  const sizes = sizesFor(mode, backend);
  const builders =
    workers === undefined ? stepBuilders(sizes) : parallelStepBuilders(sizes, { workers, totalSteps: 0 });
  const named = builders[Number(values.step)];
  if (!named) throw new Error(`--step must index the mode's steps: got ${values.step}`);
  const base = repetitions(mode, backend, named.name);
  // More warm-up steps through train(), for every worker count alike: the first steps pay for the
  // pool's start-up and for the JIT warm-up of each thread's own engine (a worker runs only its
  // share of the micro-batches, so its hot code settles later than the main thread's).
  const reps = workers === undefined ? base : workerRepetitions(base);
  const builder =
    workers === undefined
      ? named
      : parallelStepBuilders(sizes, { workers, totalSteps: reps.warmup + reps.steps })[Number(values.step)]!;
  let info: BackendInfo;
  try {
    info = await selectBackend({ backend, quiet: true });
  } catch (error) {
    if (!(error instanceof BackendUnavailableError)) throw error;
    write({ kind: 'unavailable', backend, reason: error.message.split('\n').join(' ') });
    return;
  }
  if (reps.steps === 0) {
    write({ kind: 'skipped', backend, step: builder.name, reason: reps.skipReason ?? 'skipped' });
    return;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  let step: ThroughputStep | undefined;
  try {
    step = await builder.build();
    log(`${step.label}: ${reps.warmup} warm-up + ${reps.steps} timed step(s)`);
    const loadBefore = loadavg()[0]!;
    const measurement =
      workers === undefined ? await measureStep(step, reps, log) : await measureTraining(step, reps, workers, log);
    const loadAverage = [loadBefore, loadavg()[0]!].map((value) => Math.round(value * 100) / 100) as [number, number];
    const kernelProfile =
      workers === undefined && profiles(backend, step.name)
        ? await profileStep(step, reps.warmup + reps.steps)
        : undefined;
    if (kernelProfile)
      log(
        `${step.name}: kernel profile: ${kernelProfile.top
          .slice(0, 3)
          .map((k) => `${k.kernel} ${k.totalMs.toFixed(0)} ms`)
          .join(', ')}`,
      );
    write({
      kind: 'measured',
      backend,
      backendDetail: detail(info),
      measurement,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
      loadAverage,
      ...(kernelProfile ? { kernelProfile } : {}),
    });
  } catch (error) {
    write({
      kind: 'failed',
      backend,
      step: builder.name,
      error: error instanceof Error ? error.message : String(error),
    });
    process.exitCode = 1;
  } finally {
    step?.dispose();
  }
  if (tf.memory().numTensors > 0) log(`note: ${tf.memory().numTensors} tensors live at exit`);
}

await main();
