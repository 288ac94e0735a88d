import { execFile } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BenchmarkMode } from '../harness/benchmark.js';
import { PYTORCH_SCRIPT, type PyTorchComparison, type PyTorchTaskTiming } from './pytorch.js';
import type { ThroughputSizes, ThroughputStepName } from './sizes.js';

const run = promisify(execFile);

/** `benchmarks/python/diffusion_dpo_step.py`, from `src/throughput` or `dist/throughput` alike. */
export const PYTORCH_DIFFUSION_SCRIPT = fileURLToPath(new URL('../../python/diffusion_dpo_step.py', import.meta.url));

/**
 * The PyTorch equivalents of the workers table's other steps, on 1 thread and on every core:
 * lm's SFT step (`dpo_step.py --task sft`, `sizes.sftRows` rows of the same GPT) and the
 * Diffusion-DPO step (`diffusion_dpo_step.py`, the MLP denoiser at the largest diffusion batch).
 * PPO has no PyTorch equivalent here. A failing run is reported in `errors`, never thrown.
 */
export async function measurePyTorchTasks(
  python: string,
  mode: BenchmarkMode,
  sizes: ThroughputSizes,
  log: (line: string) => void,
): Promise<{ timings: PyTorchTaskTiming[]; errors: string[] }> {
  const steps = mode === 'full' ? 10 : mode === 'quick' ? 3 : 1;
  const { gpt, diffusion } = sizes;
  const pairs = Math.max(...diffusion.batches);
  const tasks: { task: ThroughputStepName; args: (string | number)[] }[] = [
    {
      task: 'sft',
      args: [
        PYTORCH_SCRIPT,
        '--task',
        'sft',
        '--rows',
        sizes.sftRows,
        ...['--vocab', gpt.vocabSize, '--context', gpt.contextLength, '--d-model', gpt.dModel],
        ...['--layers', gpt.nLayer, '--heads', gpt.nHead, '--steps', steps, '--warmup', 1],
      ],
    },
    {
      task: 'diffusion-dpo',
      args: [
        PYTORCH_DIFFUSION_SCRIPT,
        ...['--hidden', diffusion.hiddenSize, '--layers', diffusion.numLayers, '--pairs', pairs],
        ...['--steps', mode === 'smoke' ? 1 : 3 * steps, '--warmup', mode === 'smoke' ? 1 : 2],
      ],
    },
  ];
  const timings: PyTorchTaskTiming[] = [];
  const errors: string[] = [];
  for (const { task, args } of tasks) {
    for (const threads of [...new Set([1, cpus().length])]) {
      log(`PyTorch: ${task} step, ${threads} thread(s)`);
      try {
        const { stdout } = await run(python, [...args.map(String), '--threads', String(threads)], {
          timeout: 20 * 60_000,
          maxBuffer: 1 << 20,
        });
        const parsed = JSON.parse(stdout) as { medianSeconds: number; stepSeconds: number[]; threads: number };
        timings.push({
          task,
          threads: parsed.threads,
          medianSeconds: parsed.medianSeconds,
          stepSeconds: parsed.stepSeconds,
        });
      } catch (error) {
        errors.push(
          `${task}, ${threads} thread(s): ${error instanceof Error ? error.message.split('\n', 2).join(' ') : String(error)}`,
        );
      }
    }
  }
  return { timings, errors };
}

/** `comparison` with the SFT and Diffusion-DPO timings added (unchanged when PyTorch is absent). */
export async function withPyTorchTasks(
  comparison: PyTorchComparison,
  mode: BenchmarkMode,
  sizes: ThroughputSizes,
  log: (line: string) => void,
): Promise<PyTorchComparison> {
  if (!comparison.available) return comparison;
  const others = await measurePyTorchTasks(comparison.python, mode, sizes, log);
  return { ...comparison, errors: [...comparison.errors, ...others.errors], tasks: others.timings };
}
