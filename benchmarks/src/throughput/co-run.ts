/**
 * The machine's ceiling for the data-parallel DPO step, measured: the throughput benchmark's
 * DPO step (lm DPOTrainer, frozen reference, GPT d 128, 16 pairs in 4 micro-batches) with one
 * thread, alone; then 1/N of it (16/N pairs in 4/N micro-batches, one thread) alone; then N
 * such processes at once. N independent processes sharing nothing but the hardware are what N
 * worker threads would be with no parallel overhead at all (no publishing, no messages, no
 * ordered sum, no imbalance), but they keep what two engines cost the machine: shared caches and
 * memory bandwidth, and each V8 isolate's own GC and JIT. So `full / together` bounds the speedup
 * any data-parallel step of this shape can reach here, and `together / share alone` is the
 * hardware's (and the isolates') slowdown of the same work.
 *
 *   node benchmarks/dist/throughput/co-run.js [--processes 2] [--steps 8]
 *
 * Prints one line per run and a summary (ms per step, medians of the timed steps; CPU ms per step
 * over every thread). Needs a quiet machine: on a loaded one every process waits for a share.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { StepMeasurement } from './measure.js';

/** What one run of the step measured. */
export interface CoRunStep {
  /** Median wall seconds per step. */
  readonly seconds: number;
  /** Median CPU seconds per step, every thread of the process. */
  readonly cpuSeconds: number;
}

/** {@link coRunSummary}'s result. */
export interface CoRunSummary {
  /** Slowdown of a 1/N share when N processes run at once: mean together / alone. */
  readonly slowdown: number;
  /** Upper bound of an N-worker speedup: the full step alone / the slowest process together. */
  readonly ceiling: number;
}

/** The slowdown of co-running and the speedup ceiling from the three runs (see the module comment). */
export function coRunSummary(full: CoRunStep, share: CoRunStep, together: readonly CoRunStep[]): CoRunSummary {
  const mean = together.reduce((sum, step) => sum + step.seconds, 0) / together.length;
  const slowest = Math.max(...together.map((step) => step.seconds));
  return { slowdown: mean / share.seconds, ceiling: full.seconds / slowest };
}

/** One child: the DPO step at `pairs` pairs in `microBatches` micro-batches, 1 thread; writes its measurement to `out`. */
async function child(pairs: number, microBatches: number, steps: number, out: string): Promise<void> {
  const { writeFileSync } = await import('node:fs');
  const { selectBackend } = await import('@dpo-ts/core/backend');
  const { measureTraining } = await import('./measure.js');
  const { THROUGHPUT_SIZES } = await import('./sizes.js');
  const { makeDpoStep } = await import('./steps.js');
  await selectBackend({ backend: 'wasm', quiet: true });
  const sizes = { ...THROUGHPUT_SIZES.quick, dpoPairs: pairs, microBatches };
  const warmup = 2;
  const step = await makeDpoStep(sizes, { workers: 1, microBatches, totalSteps: warmup + steps });
  try {
    writeFileSync(out, JSON.stringify(await measureTraining(step, { warmup, steps }, 1)));
  } finally {
    step.dispose();
  }
}

/** Runs `count` children at once, each timing `pairs` pairs; resolves with their measurements. */
async function runChildren(count: number, pairs: number, microBatches: number, steps: number): Promise<CoRunStep[]> {
  const dir = mkdtempSync(join(tmpdir(), 'dpo-ts-co-run-'));
  const script = fileURLToPath(import.meta.url);
  try {
    const outs = Array.from({ length: count }, (_, i) => join(dir, `child-${i}.json`));
    await Promise.all(
      outs.map(
        (out) =>
          new Promise<void>((resolve, reject) => {
            const args = ['--child', '--pairs', String(pairs), '--micro-batches', String(microBatches)];
            const proc = spawn(process.execPath, [script, ...args, '--steps', String(steps), '--out', out], {
              stdio: ['ignore', 'ignore', 'inherit'],
            });
            proc.on('error', reject);
            proc.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`child exited with ${code}`))));
          }),
      ),
    );
    return outs.map((out) => {
      const m = JSON.parse(readFileSync(out, 'utf8')) as StepMeasurement;
      return { seconds: m.medianSeconds, cpuSeconds: m.cpuSecondsPerStep ?? Number.NaN };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      child: { type: 'boolean' },
      pairs: { type: 'string' },
      'micro-batches': { type: 'string' },
      processes: { type: 'string', default: '2' },
      steps: { type: 'string', default: '8' },
      out: { type: 'string' },
    },
  });
  const steps = Number(values.steps);
  if (values.child) {
    await child(Number(values.pairs), Number(values['micro-batches']), steps, values.out!);
    return;
  }
  const n = Number(values.processes);
  const pairs = 16;
  const microBatches = 4;
  if (!Number.isInteger(n) || n < 1 || microBatches % n !== 0)
    throw new Error(`--processes must divide ${microBatches} micro-batches: got ${values.processes}`);
  const ms = (step: CoRunStep) =>
    `${(step.seconds * 1000).toFixed(0)} ms/step (CPU ${(step.cpuSeconds * 1000).toFixed(0)})`;
  const load = () => loadavg()[0]!.toFixed(2);
  console.log(`load average ${load()}`);
  const [full] = await runChildren(1, pairs, microBatches, steps);
  console.log(`full step (${pairs} pairs, ${microBatches} micro-batches), 1 process: ${ms(full!)}; load ${load()}`);
  const [share] = await runChildren(1, pairs / n, microBatches / n, steps);
  console.log(`1/${n} of the step, 1 process alone: ${ms(share!)}; load ${load()}`);
  const together = await runChildren(n, pairs / n, microBatches / n, steps);
  console.log(`1/${n} of the step, ${n} processes at once: ${together.map(ms).join(', ')}; load ${load()}`);
  const { slowdown, ceiling } = coRunSummary(full!, share!, together);
  console.log(
    `co-running slows a share by ${slowdown.toFixed(3)}x; ceiling of a ${n}-worker step here: ${ceiling.toFixed(2)}x (${(
      (full!.seconds / ceiling) * 1000
    ).toFixed(0)} ms/step)`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
