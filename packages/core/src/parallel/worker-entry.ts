// The body of every GradientWorkerPool worker thread: its own tfjs engine on the main thread's
// backend (with the same gradient overrides), a replica built from the task spec, then one
// 'run' message per optimiser step: copy the shared parameters into the replica, compute the
// assigned micro-batches' gradients into this worker's shared slots, check for leaked tensors.
// Loaded by path (dist/parallel/worker-entry.js), never imported by the package's API.
import * as tf from '@tensorflow/tfjs-core';
import { parentPort, workerData } from 'node:worker_threads';
import '../register-all-gradients.js';
import { selectBackend } from '../backend/select-backend.js';
import { DPOTSError } from '../errors/dpo-ts-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { microBatchGradients } from './micro-batch-gradients.js';
import type { ParallelTask, ParallelTaskFactory } from './parallel-task.js';
import { assertSameLayout, readParameters } from './parameter-layout.js';
import { secondsSince } from './step-phases.js';
import { serializeError, type FromWorker, type ToWorker, type WorkerInit } from './worker-protocol.js';

const init = workerData as WorkerInit;
const port = parentPort!;
const post = (message: FromWorker): void => port.postMessage(message);

const runs: Extract<ToWorker, { type: 'run' }>[] = [];
let wakeRun: (() => void) | undefined;
const freeSlots = init.gradientSlots.map((_, slot) => slot);
let wakeSlot: (() => void) | undefined;
let currentMicroBatch: number | undefined;

port.on('message', (message: ToWorker) => {
  if (message.type === 'release') {
    freeSlots.push(message.slot);
    wakeSlot?.();
  } else if (message.type === 'memory') {
    post({ type: 'memory', numTensors: tf.memory().numTensors });
  } else {
    runs.push(message);
    wakeRun?.();
  }
});

async function nextRun(): Promise<Extract<ToWorker, { type: 'run' }>> {
  while (runs.length === 0) await new Promise<void>((resolve) => (wakeRun = resolve));
  wakeRun = undefined;
  return runs.shift()!;
}

async function takeSlot(): Promise<number> {
  while (freeSlots.length === 0) await new Promise<void>((resolve) => (wakeSlot = resolve));
  wakeSlot = undefined;
  return freeSlots.shift()!;
}

async function buildTask(): Promise<ParallelTask<unknown>> {
  const { module, export: name, config } = init.task;
  const exports = (await import(module)) as Record<string, unknown>;
  const factory = exports[name];
  if (typeof factory !== 'function')
    throw new InvalidArgumentError('task.export', `the name of a function exported by ${module}`, name);
  return (factory as ParallelTaskFactory<unknown>)(config);
}

async function main(): Promise<void> {
  const label = `worker ${init.workerIndex}`;
  await selectBackend({ backend: init.backend, gradientOverrides: init.gradientOverrides, quiet: true });
  const task = await buildTask();
  assertSameLayout(init.layout, task.namedVariables, `${label} replica`);
  assertSameLayout(init.weightLayout, task.namedVariables, `${label} replica`, 'all');
  const trainable = new Map(init.layout.slots.map((slot) => [slot.name, task.namedVariables.get(slot.name)!]));
  const parameters = new Float32Array(init.parameters);
  const slots = init.gradientSlots.map((buffer) => new Float32Array(buffer));
  post({ type: 'ready', numTensors: tf.memory().numTensors });
  for (;;) {
    const run = await nextRun();
    let started = performance.now();
    readParameters(init.weightLayout, parameters, task.namedVariables);
    let load = secondsSince(started);
    const baseline = tf.memory().numTensors;
    for (const { microBatchIndex, batch } of run.assignments) {
      currentMicroBatch = microBatchIndex;
      started = performance.now();
      const slot = await takeSlot();
      const slotWait = secondsSince(started);
      started = performance.now();
      const context = {
        stepIndex: run.stepIndex,
        microBatchIndex,
        microBatchCount: run.microBatchCount,
        step: run.step,
      };
      const { grads, loss, metrics, outputs } = await microBatchGradients(task, trainable, batch, context);
      const compute = secondsSince(started);
      started = performance.now();
      const hasGradient: boolean[] = [];
      try {
        for (const { name, offset } of init.layout.slots) {
          const gradient = grads.get(name);
          hasGradient.push(gradient !== undefined);
          if (gradient !== undefined) slots[slot]!.set((await gradient.data()) as Float32Array, offset);
        }
      } finally {
        tf.dispose([...grads.values()]);
      }
      const left = tf.memory().numTensors - baseline;
      if (left !== 0)
        throw new DPOTSError(
          `${label}: ${left} tensors left alive by micro-batch ${microBatchIndex} (the task's loss leaks; wrap it in tf.tidy)`,
        );
      const timing = run.timing ? { timing: { load, slotWait, compute, copy: secondsSince(started) } } : {};
      load = 0;
      post({
        type: 'result',
        callId: run.callId,
        microBatchIndex,
        slot,
        loss,
        metrics,
        outputs,
        hasGradient,
        ...timing,
      });
      currentMicroBatch = undefined;
    }
  }
}

main().catch((error: unknown) => {
  post({
    type: 'error',
    ...(currentMicroBatch === undefined ? {} : { microBatchIndex: currentMicroBatch }),
    error: serializeError(error),
  });
});
