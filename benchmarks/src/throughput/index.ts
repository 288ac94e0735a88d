import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { BackendName } from '@dpo-ts/core';
import type { Benchmark } from '../harness/benchmark.js';
import { measurePyTorch } from './pytorch.js';
import { withPyTorchTasks } from './pytorch-tasks.js';
import { throughputResult } from './report.js';
import { runWorker } from './run-workers.js';
import { THROUGHPUT_SIZES, sizesFor } from './sizes.js';
import { parallelStepBuilders, stepBuilders } from './steps.js';
import type { WorkerOutput } from './worker.js';

/** Every backend the benchmark tries, in report order; GPU backends are reported unavailable when they cannot load. */
export const THROUGHPUT_BACKENDS: readonly BackendName[] = ['wasm', 'cpu', 'webgpu', 'tensorflow'];

/**
 * The suite's `throughput` benchmark: time per training step (DPO, SFT, a PPO update,
 * Diffusion-DPO at two batch sizes) on every backend that loads, tokens or images per second,
 * achieved GFLOP/s, peak RSS and tensors leaked per step (must be 0), and the same DPO step in
 * PyTorch where a Python with torch is found.
 *
 * Each (backend, step) runs in a child Node process (`worker.js`): tfjs has one engine per
 * process, and switching backends inside it would share kernels' state, the gradient registry
 * and the RSS; a child per measurement isolates all three and a crash loses one row. With
 * `--backend` (or `DPO_TS_BACKEND`) set, only that backend is measured.
 */
export const throughputBenchmark: Benchmark = {
  name: 'throughput',
  title: 'Training throughput per backend',
  description:
    'Time per training step of DPO (lm DPOTrainer), SFT, one PPO update (rlhf) and Diffusion-DPO (MLP denoiser) on each tfjs backend, with tokens or images per second, achieved GFLOP/s, peak RSS, tensors leaked per step, and the same DPO step in PyTorch for reference.',
  expectedMinutes: { smoke: 1, quick: 4, full: 30 },
  async run(context) {
    const sizes = THROUGHPUT_SIZES[context.mode];
    const requested = context.backend;
    const backends = requested && requested !== 'auto' ? [requested] : THROUGHPUT_BACKENDS;
    const outputs: WorkerOutput[] = [];
    for (const backend of backends) {
      for (const [index, builder] of stepBuilders(sizesFor(context.mode, backend)).entries()) {
        if (context.signal?.aborted) throw new Error('aborted');
        const output = await runWorker({
          backend,
          mode: context.mode,
          step: index,
          stepName: builder.name,
          dir: join(context.outDir, 'workers'),
          log: context.log,
          ...(context.signal ? { signal: context.signal } : {}),
        });
        outputs.push(output);
        if (output.kind === 'unavailable') {
          context.log(`${backend}: unavailable: ${output.reason.slice(0, 200)}`);
          break;
        }
        if (output.kind === 'measured') {
          const m = output.measurement;
          context.log(
            `${backend}: ${m.step}: ${(m.medianSeconds * 1000).toFixed(1)} ms/step, ${Math.round(m.unitsPerSecond)} ${m.unit}/s, ${m.gflops.toFixed(2)} GFLOP/s`,
          );
        }
      }
    }
    // The 1-vs-N-workers table: each step split into sizes.microBatches micro-batches, timed
    // through the trainer's train() with 1 and N worker threads (N = cores, capped by them).
    const workerBackend = requested && requested !== 'auto' ? requested : 'wasm';
    const parallelSizes = sizesFor(context.mode, workerBackend);
    const most = Math.min(availableParallelism(), parallelSizes.microBatches);
    const workerCounts = [...new Set([1, most])];
    context.log(
      `workers: ${workerCounts.join(' and ')} (${availableParallelism()} cores, ${parallelSizes.microBatches} micro-batches per step), backend ${workerBackend}`,
    );
    if (outputs.some((o) => o.backend === workerBackend && o.kind === 'measured'))
      for (const [index, builder] of parallelStepBuilders(parallelSizes, { workers: 1, totalSteps: 0 }).entries()) {
        for (const workers of workerCounts) {
          if (context.signal?.aborted) throw new Error('aborted');
          const output = await runWorker({
            backend: workerBackend,
            mode: context.mode,
            step: index,
            stepName: builder.name,
            workers,
            dir: join(context.outDir, 'workers'),
            log: context.log,
            ...(context.signal ? { signal: context.signal } : {}),
          });
          outputs.push(output.kind === 'failed' ? { ...output, step: `${output.step}, ${workers} worker(s)` } : output);
          if (output.kind === 'measured')
            context.log(
              `${workerBackend}: ${builder.name}, ${workers} worker(s): ${(output.measurement.medianSeconds * 1000).toFixed(1)} ms/step, CPU ${((output.measurement.cpuSecondsPerStep ?? 0) * 1000).toFixed(0)} ms/step`,
            );
        }
      }
    const pytorch = await withPyTorchTasks(
      await measurePyTorch(context.mode, sizes, context.log),
      context.mode,
      sizes,
      context.log,
    );
    if (!pytorch.available) context.log(`PyTorch: ${pytorch.reason}`);
    return throughputResult(outputs, pytorch, sizes, backends, availableParallelism());
  },
};
