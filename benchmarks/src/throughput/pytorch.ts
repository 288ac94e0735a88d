import { execFile } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BenchmarkMode } from '../harness/benchmark.js';
import type { ThroughputSizes, ThroughputStepName } from './sizes.js';

/** One PyTorch step time of a task other than DPO (`pytorch-tasks.ts`), at one thread count. */
export interface PyTorchTaskTiming {
  readonly task: ThroughputStepName;
  readonly threads: number;
  readonly medianSeconds: number;
  readonly stepSeconds: readonly number[];
}

const run = promisify(execFile);

/** `benchmarks/python/dpo_step.py`, from `src/throughput` or `dist/throughput` alike. */
export const PYTORCH_SCRIPT = fileURLToPath(new URL('../../python/dpo_step.py', import.meta.url));

/** One PyTorch timing of the DPO step. */
export interface PyTorchTiming {
  readonly threads: number;
  readonly medianSeconds: number;
  readonly stepSeconds: readonly number[];
  readonly torch: string;
  readonly blas: string;
}

/** What the PyTorch comparison found: timings, or why there are none. */
export type PyTorchComparison =
  | {
      readonly available: true;
      readonly python: string;
      readonly torch: string;
      readonly timings: readonly PyTorchTiming[];
      readonly errors: readonly string[];
      /** The SFT and Diffusion-DPO steps of the workers table (`pytorch-tasks.ts`). */
      readonly tasks?: readonly PyTorchTaskTiming[];
    }
  | { readonly available: false; readonly reason: string };

/**
 * The first Python that imports torch: `DPO_TS_PYTHON`, then `python3` on the PATH, then
 * `/usr/bin/python3` (Debian's `python3-torch` installs there, while a pyenv or venv `python3`
 * may shadow it). Returns the interpreter and torch's version, or the reasons each failed.
 */
export async function findTorchPython(): Promise<{ python: string; torch: string } | { reasons: string[] }> {
  const candidates = [
    ...new Set([process.env.DPO_TS_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c)),
  ];
  const reasons: string[] = [];
  for (const python of candidates) {
    try {
      const { stdout } = await run(python, ['-c', 'import torch; print(torch.__version__)'], { timeout: 120_000 });
      return { python, torch: stdout.trim() };
    } catch (error) {
      const text = error instanceof Error ? (error as { stderr?: string }).stderr || error.message : String(error);
      reasons.push(`${python}: ${text.trim().split('\n').at(-1) ?? text}`);
    }
  }
  return { reasons };
}

/**
 * Times the DPO step of `benchmarks/python/dpo_step.py` (the same GPT and step as lm's
 * DPOTrainer with a frozen reference, same shapes) on one thread, as wasm runs in Node, and on
 * every core. Needs a Python with torch; otherwise says why there is no comparison.
 */
export async function measurePyTorch(
  mode: BenchmarkMode,
  sizes: ThroughputSizes,
  log: (line: string) => void,
): Promise<PyTorchComparison> {
  const found = await findTorchPython();
  if ('reasons' in found)
    return { available: false, reason: `no Python with torch found (${found.reasons.join('; ')})` };
  const { gpt } = sizes;
  const steps = mode === 'full' ? 10 : mode === 'quick' ? 3 : 1;
  const threads = [...new Set([1, cpus().length])];
  const timings: PyTorchTiming[] = [];
  const errors: string[] = [];
  for (const count of threads) {
    const args = [
      PYTORCH_SCRIPT,
      ...[
        '--vocab',
        gpt.vocabSize,
        '--context',
        gpt.contextLength,
        '--d-model',
        gpt.dModel,
        '--layers',
        gpt.nLayer,
        '--heads',
        gpt.nHead,
      ].map(String),
      ...[
        '--pairs',
        sizes.dpoPairs,
        '--prompt-length',
        Math.floor(gpt.contextLength / 4) + 1,
        '--threads',
        count,
        '--steps',
        steps,
        '--warmup',
        1,
      ].map(String),
    ];
    log(`PyTorch ${found.torch} (${found.python}): DPO step, ${count} thread(s), ${steps} timed step(s)`);
    try {
      const { stdout } = await run(found.python, args, { timeout: 20 * 60_000, maxBuffer: 1 << 20 });
      const parsed = JSON.parse(stdout) as {
        medianSeconds: number;
        stepSeconds: number[];
        torch: string;
        blas: string;
        threads: number;
      };
      timings.push({
        threads: parsed.threads,
        medianSeconds: parsed.medianSeconds,
        stepSeconds: parsed.stepSeconds,
        torch: parsed.torch,
        blas: parsed.blas,
      });
    } catch (error) {
      errors.push(
        `${count} thread(s): ${error instanceof Error ? error.message.split('\n', 2).join(' ') : String(error)}`,
      );
    }
  }
  return { available: true, python: found.python, torch: found.torch, timings, errors };
}
