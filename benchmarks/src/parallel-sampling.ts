/**
 * Times sampling on core's SamplingWorkerPool against the main thread (today's path): GPT
 * completions (lm's `createGPTSampler`: d 128, 4 layers, 16 prompts in 4 tasks of 4 rows, 32 new
 * tokens each with the KV cache) and DDPO-style image rollouts (diffusion's
 * `createDenoiserSampler`: the default 28x28 UNet, DDIM 10 steps, eta 1, guidance 2, latents and
 * log-probs kept, 16 images in 4 tasks of 4). Prints, per worker count, the median wall ms per
 * call, CPU ms per call (all threads), tokens/s or images/s, the speedup, and whether the samples
 * equal the main thread's (they must: a task's result depends only on its seed).
 *
 *   node benchmarks/dist/parallel-sampling.js [--workers 1,2] [--calls 3] [--backend wasm] [--only lm|images]
 *
 * `1` is the main thread (no pool); pools start before timing (their start-up is printed apart).
 * Calls interleave (1, 2, 1, 2, ...) so a load that drifts hits every count alike. On a loaded
 * machine wall-clock speedups shrink (see parallel-step.ts); CPU ms per call is the overhead.
 * Not part of `npm run bench`.
 */
import { availableParallelism, loadavg } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { selectBackend, type BackendRequest } from '@dpo-ts/core/backend';
import { SamplingWorkerPool, type Sampler, type SamplerSpec } from '@dpo-ts/core/parallel';
import {
  createDenoiserSampler,
  denoiserSamplerSpec,
  NoiseSchedule,
  UNet,
  type DenoiserSamplerConfig,
  type DenoiserSamplingTask,
} from '@dpo-ts/diffusion';
import { createGPTSampler, GPT, gptSamplerSpec, type GPTSamplingTask } from '@dpo-ts/lm';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback;
}

const workerCounts = option('workers', '1,2').split(',').map(Number);
const calls = Number(option('calls', '3'));
const only = option('only', 'both');
const median = (values: number[]): number => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

interface Case<TTask> {
  readonly title: string;
  readonly unit: string;
  /** Units (tokens, images) one call produces. */
  readonly units: number;
  readonly sampler: Sampler<TTask, unknown>;
  readonly spec: SamplerSpec;
  readonly tasks: readonly TTask[];
}

async function measure<TTask>(item: Case<TTask>): Promise<void> {
  const loadBefore = loadavg()[0]!;
  const runners: { workers: number; startMs: number; run: () => Promise<unknown[]>; close: () => Promise<void> }[] = [];
  for (const workers of workerCounts) {
    if (workers === 1) {
      runners.push({
        workers,
        startMs: 0,
        run: async () => {
          const results = [];
          for (const task of item.tasks) results.push(await item.sampler.sample(task));
          return results;
        },
        close: async () => undefined,
      });
      continue;
    }
    const start = performance.now();
    const pool = await SamplingWorkerPool.create<TTask, unknown>({
      sampler: item.spec,
      parameters: item.sampler.namedVariables,
      workers,
    });
    runners.push({
      workers,
      startMs: performance.now() - start,
      run: () => pool.sample(item.tasks),
      close: () => pool.close(),
    });
  }
  const times = runners.map(() => [] as number[]);
  const cpuTimes = runners.map(() => [] as number[]);
  const outputs = runners.map(() => [] as unknown[][]);
  for (let call = -1; call < calls; call++) {
    for (const [r, runner] of runners.entries()) {
      const start = performance.now();
      const cpuStart = process.cpuUsage(); // the whole process: every thread, workers included
      const results = await runner.run();
      if (call < 0) continue; // warm-up
      times[r]!.push(performance.now() - start);
      const cpu = process.cpuUsage(cpuStart);
      cpuTimes[r]!.push((cpu.user + cpu.system) / 1000);
      outputs[r]!.push(results);
    }
  }
  for (const runner of runners) await runner.close();
  console.log(
    `${item.title}; ${availableParallelism()} cores; load average ${loadBefore.toFixed(1)} -> ${loadavg()[0]!.toFixed(1)}; median of ${calls} calls, interleaved`,
  );
  console.log(
    `| workers | pool start ms | ms/call (median) | CPU ms/call | ${item.unit}/s | speedup | same samples as 1 |`,
  );
  console.log('|---|---|---|---|---|---|---|');
  const base = median(times[0]!);
  runners.forEach((runner, r) => {
    const ms = median(times[r]!);
    const same = outputs[r]!.every((results, call) => isDeepStrictEqual(results, outputs[0]![call]));
    console.log(
      `| ${runner.workers === 1 ? '1 (main thread)' : runner.workers} | ${runner.startMs.toFixed(0)} | ${ms.toFixed(0)} | ${median(cpuTimes[r]!).toFixed(0)} | ${((item.units * 1000) / ms).toFixed(1)} | ${(base / ms).toFixed(2)}x | ${same ? 'yes' : 'NO'} |`,
    );
  });
}

const info = await selectBackend({ backend: option('backend', 'wasm') as BackendRequest, quiet: true });
console.log(`backend ${info.name}`);

if (only !== 'images') {
  const gpt = { vocabSize: 96, contextLength: 64, dModel: 128, nLayer: 4, nHead: 4, seed: 1 };
  const model = new GPT(gpt);
  const newTokens = 32;
  const tasks: GPTSamplingTask[] = Array.from({ length: 4 }, (_, k) => ({
    prompts: Array.from({ length: 4 }, (_, b) => [
      1,
      ...Array.from({ length: 8 }, (_, i) => 3 + ((k * 31 + b * 7 + i) % 90)),
    ]),
    generation: { maxNewTokens: newTokens, stopAtEos: false, seed: 100 + k },
    eosTokenId: 2,
    padTokenId: 0,
  }));
  await measure({
    title: `GPT completions, d 128, 4 layers (${model.numParameters().toLocaleString('en-US')} parameters), 4 tasks x 4 rows x ${newTokens} new tokens, KV cache`,
    unit: 'tokens',
    units: 16 * newTokens,
    sampler: createGPTSampler({ gpt }, model),
    spec: gptSamplerSpec({ gpt }),
    tasks,
  });
  model.dispose();
}

if (only !== 'lm') {
  const model = new UNet({ seed: 1, zeroInit: false });
  const schedule = new NoiseSchedule({});
  const config: DenoiserSamplerConfig = { kind: 'unet', denoiser: model.config, schedule: schedule.config };
  const tasks: DenoiserSamplingTask[] = Array.from({ length: 4 }, (_, k) => ({
    method: 'ddim',
    labels: [0, 1, 2, 3].map((b) => (k * 4 + b) % 10),
    seed: 200 + k,
    numSteps: 10,
    eta: 1,
    guidanceScale: 2,
    returnLatents: true,
  }));
  await measure({
    title: `DDPO-style image rollouts, UNet 28x28 (${model.parameterCount().toLocaleString('en-US')} parameters), DDIM 10 steps, eta 1, guidance 2, 4 tasks x 4 images`,
    unit: 'images',
    units: 16,
    sampler: createDenoiserSampler(config, model, schedule),
    spec: denoiserSamplerSpec(config),
    tasks,
  });
  model.dispose();
}
