/**
 * Times one GPT SFT optimiser step (d 128, 4 layers, 16 sequences x 64 tokens split into
 * micro-batches; forward + backward of every micro-batch, then clip + AdamW on the main thread),
 * or with `--task dpo` one DPO step (16 pairs x 64 tokens: policy forward + backward and frozen
 * reference forward, sigmoid loss), or with `--task ppo` one PPO minibatch step (16 rollouts of a
 * 16-token prompt and a 48-token response: rlhf's `createPPOUpdateTask`, policy + value head on
 * its backbone, clipped policy and value losses; synthetic advantages and returns),
 * with core's gradient engine on 1 thread (no workers) and on N worker threads, and prints a
 * Markdown table: median and best ms per step, CPU ms per step (all threads: the parallel
 * overhead, robust to a loaded machine), sequences/s, speedup and scaling efficiency.
 *
 *   node benchmarks/dist/parallel-step.js [--workers 1,2] [--micro-batches 4] [--steps 5] [--backend wasm] [--task sft|dpo|ppo]
 *     [--d-model 128] [--layers 4] [--sequences 16] [--tokens 64]   (smaller models: the `workers: 'auto'` threshold)
 *
 * Not part of `npm run bench` yet (the throughput benchmark will report workers, issue #12 item 4).
 *
 * Wall-clock speedups need a quiet machine: under Linux's autogroup scheduling (the default,
 * `/proc/sys/kernel/sched_autogroup_enabled`), a loaded machine gives a session one share of the
 * CPUs however many threads it runs (measured 2026-12-02 at load 7-24: even a trivially parallel
 * JS loop ran 0.70-1.00x on 2 threads). CPU ms/step, summed over all threads, is the number that
 * survives the load: its ratio between 1 and N workers is the parallel overhead.
 */
import { loadavg, availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { AdamWOptimizer, applyGradientStep } from '@dpo-ts/core/training';
import { selectBackend, type BackendRequest } from '@dpo-ts/core/backend';
import { createGradientEngine } from '@dpo-ts/core/parallel';
import {
  createGPTDPOTask,
  createGPTSFTTask,
  frozenCopy,
  GPT,
  gptDPOTaskSpec,
  gptSFTTaskSpec,
  type GPTSFTTaskConfig,
  type LMPreferenceBatch,
} from '@dpo-ts/lm';
import { ScalarHead } from '@dpo-ts/reward';
import {
  createPPOUpdateTask,
  layoutRollout,
  ppoUpdateBatch,
  ppoUpdateTaskConfig,
  ppoUpdateTaskSpec,
  type PPOUpdateBatch,
} from '@dpo-ts/rlhf';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback;
}

const workerCounts = option('workers', '1,2').split(',').map(Number);
const microBatchCount = Number(option('micro-batches', '4'));
const steps = Number(option('steps', '5'));
const sequences = Number(option('sequences', '16'));
const T = Number(option('tokens', '64'));
const dModel = Number(option('d-model', '128'));
const nLayer = Number(option('layers', '4'));
const config: GPTSFTTaskConfig = {
  gpt: { vocabSize: 96, contextLength: T, dModel, nLayer, nHead: dModel >= 64 ? 4 : 2, seed: 1 },
};

const taskName = option('task', 'sft');

function batches(): LMPreferenceBatch[] {
  // DPO: 16 pairs = 32 rows (chosen then rejected per micro-batch); SFT: 16 rows.
  const rows = ((taskName === 'dpo' ? 2 : 1) * sequences) / microBatchCount;
  return Array.from({ length: microBatchCount }, (_, k) => ({
    inputIds: Int32Array.from({ length: rows * T }, (_, i) => (i * 7 + k * 13) % 96),
    lossMask: new Float32Array(rows * T).fill(1),
    batchSize: rows,
    sequenceLength: T,
    promptLengths: new Array<number>(rows).fill(0),
    completionLengths: new Array<number>(rows).fill(T),
    numPairs: rows / 2,
  }));
}

/** PPO: `sequences` rollouts (prompt of T / 4 tokens, response of the rest), split in micro-batches. */
function ppoBatches(): PPOUpdateBatch[] {
  const P = T / 4;
  const R = T - P;
  const prompts = Array.from({ length: sequences }, (_, b) => Array.from({ length: P }, (_, i) => (i * 5 + b) % 96));
  const tokenIds = Array.from({ length: sequences }, (_, b) =>
    Array.from({ length: R }, (_, i) => (i * 7 + b * 3) % 96),
  );
  const layout = layoutRollout(prompts, { tokenIds, mask: tokenIds.map((row) => row.map(() => 1)) }, 0);
  const values = (scale: number) => Float32Array.from({ length: sequences * R }, (_, i) => Math.sin(i) * scale);
  const full = {
    layout,
    oldLogProbs: values(0.1).map((v) => v - 4.6),
    oldValues: values(0.5),
    advantages: values(1),
    returns: values(0.8),
  };
  const rows = sequences / microBatchCount;
  return Array.from({ length: microBatchCount }, (_, k) =>
    ppoUpdateBatch(
      full,
      Array.from({ length: rows }, (_, i) => k * rows + i),
    ),
  );
}

const median = (values: number[]): number => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const info = await selectBackend({ backend: option('backend', 'wasm') as BackendRequest, quiet: true });
const model = new GPT(config.gpt);
const reference = frozenCopy(model);
const valueHead = new ScalarHead({ inputSize: dModel, bias: true, initStd: 0, name: 'value_head' });
const ppoModels = { policy: model, critic: undefined, valueHead };
const ppoConfig = ppoUpdateTaskConfig(ppoModels, {
  temperature: 0.7,
  cliprange: 0.2,
  cliprangeValue: 0.2,
  vfCoef: 0.1,
});
const task =
  taskName === 'ppo'
    ? createPPOUpdateTask(ppoConfig, ppoModels)
    : taskName === 'dpo'
      ? createGPTDPOTask(config, model, reference)
      : createGPTSFTTask(config, model);
const spec =
  taskName === 'ppo'
    ? ppoUpdateTaskSpec(ppoConfig)
    : taskName === 'dpo'
      ? gptDPOTaskSpec(config)
      : gptSFTTaskSpec(config);
const optimizer = new AdamWOptimizer(task.namedVariables, { weightDecay: 0 });
const data: unknown[] = taskName === 'ppo' ? ppoBatches() : batches();
// Micro-batch losses that are means over their micro-batch (DPO, PPO) are averaged.
const divisor = taskName === 'sft' ? 1 : microBatchCount;
const totalTokens = sequences * (T - 1);
const loadBefore = loadavg()[0]!;
// Every engine stays open and the steps interleave (1, 2, 1, 2, ...), so a load that drifts
// during the run (a shared machine) hits every worker count alike.
const engines = [];
for (const workers of workerCounts)
  engines.push(
    await createGradientEngine<unknown>({ task: task as never, spec, workers, microBatchesPerStep: microBatchCount }),
  );
const times = engines.map(() => [] as number[]);
const cpuTimes = engines.map(() => [] as number[]);
const losses = engines.map(() => [] as number[]);
for (let step = -1; step < steps; step++) {
  for (const [e, engine] of engines.entries()) {
    const start = performance.now();
    const cpuStart = process.cpuUsage(); // the whole process: every thread, workers included
    const { grads, microBatches } = await engine.computeGradients(data, {
      stepIndex: Math.max(step, 0),
      step: { totalTokens },
      divisor,
    });
    await applyGradientStep(optimizer, grads, { maxGradNorm: 1, learningRate: 0, stepIndex: 0 });
    tf.dispose([...grads.values()]);
    if (step >= 0) {
      // step -1 warms up
      times[e]!.push(performance.now() - start);
      const cpu = process.cpuUsage(cpuStart);
      cpuTimes[e]!.push((cpu.user + cpu.system) / 1000);
    }
    losses[e]!.push(microBatches.reduce((sum, m) => sum + m.loss, 0) / divisor);
  }
}
for (const engine of engines) await engine.close();
const rows = engines.map((engine, e) => ({
  workers: engine.workers,
  ms: median(times[e]!),
  best: Math.min(...times[e]!),
  cpuMs: median(cpuTimes[e]!),
  losses: losses[e]!,
}));
const base = rows[0]!.ms;
console.log(
  `GPT ${taskName.toUpperCase()} step, d ${dModel}, ${nLayer} layers (${model.numParameters().toLocaleString('en-US')} parameters), ${sequences} ${taskName === 'dpo' ? 'pairs' : 'sequences'} x ${T} tokens in ${microBatchCount} micro-batches; backend ${info.name}; ${availableParallelism()} cores; load average ${loadBefore.toFixed(1)} -> ${loadavg()[0]!.toFixed(1)}; median of ${steps}, steps interleaved`,
);
console.log(
  `| workers | ms/step (median) | ms/step (best) | CPU ms/step | ${taskName === 'dpo' ? 'pairs' : 'sequences'}/s | speedup | efficiency | loss (step 0) |`,
);
console.log('|---|---|---|---|---|---|---|---|');
for (const { workers, ms, best, cpuMs, losses } of rows) {
  console.log(
    `| ${workers} | ${ms.toFixed(0)} | ${best.toFixed(0)} | ${cpuMs.toFixed(0)} | ${((sequences * 1000) / ms).toFixed(1)} | ${(base / ms).toFixed(2)}x | ${((base / ms / workers) * 100).toFixed(0)}% | ${losses[0]!.toFixed(6)} |`,
  );
}
task.dispose!();
optimizer.dispose();
model.dispose();
reference.dispose();
valueHead.dispose();
