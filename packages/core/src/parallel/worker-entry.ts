// The body of every GradientWorkerPool worker thread: its own tfjs engine on the main thread's
// backend (with the same gradient overrides), a replica built from the task spec, then one
// 'run' message per optimiser step: copy the shared parameters into the replica, then take
// micro-batches in turn (StepControl), compute each one's gradient into one of this worker's
// shared slots, add every gradient that is next in micro-batch order into the call's shared sum,
// check for leaked tensors.
// Loaded by path (dist/parallel/worker-entry.js), never imported by the package's API.
import * as tf from '@tensorflow/tfjs-core';
import { parentPort, workerData } from 'node:worker_threads';
import '../register-all-gradients.js';
import { selectBackend } from '../backend/select-backend.js';
import { DPOTSError } from '../errors/dpo-ts-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { copyToHost } from './copy-to-host.js';
import { microBatchGradients } from './micro-batch-gradients.js';
import type { ParallelTask, ParallelTaskFactory } from './parallel-task.js';
import { assertSameLayout, readParameters } from './parameter-layout.js';
import { type SlotTable, StepControl } from './step-control.js';
import { secondsSince } from './step-phases.js';
import { serializeError, type FromWorker, type ToWorker, type WorkerInit } from './worker-protocol.js';

const init = workerData as WorkerInit;
const port = parentPort!;
const post = (message: FromWorker): void => port.postMessage(message);

const runs: Extract<ToWorker, { type: 'run' }>[] = [];
let wakeRun: (() => void) | undefined;
let currentMicroBatch: number | undefined;

port.on('message', (message: ToWorker) => {
  if (message.type === 'memory') {
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

/**
 * A slot of this worker whose gradient has been added (`slotHolds[slot]` < the call's `added`),
 * blocking until one is: the adds happen in micro-batch order on any worker, so waiting cannot
 * deadlock (the earliest unadded micro-batch is never one of this worker's waiting gradients'
 * successors).
 */
function takeSlot(control: StepControl, slotHolds: number[]): number {
  for (;;) {
    const added = control.added();
    const slot = slotHolds.findIndex((k) => k < added);
    if (slot >= 0) return slot;
    control.waitForAdded(added);
  }
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
  const slotTable: SlotTable = {
    values: init.gradientSlots.map((buffers) => buffers.map((buffer) => new Float32Array(buffer))),
    hasGradient: init.gradientFlags.map((buffers) => buffers.map((buffer) => new Int32Array(buffer))),
  };
  const slots = slotTable.values[init.workerIndex]!;
  const flags = slotTable.hasGradient[init.workerIndex]!;
  post({ type: 'ready', numTensors: tf.memory().numTensors });
  for (;;) {
    const run = await nextRun();
    const startedAt = performance.timeOrigin + performance.now();
    const control = new StepControl(run.control, run.batches.length, init.layout.slots.length);
    const sum = new Float32Array(run.sum);
    const drain = () => control.drain(init.layout, sum, slotTable, slots.length, run.divisor);
    // The micro-batch each slot holds; -1: free.
    const slotHolds = slots.map(() => -1);
    let started = performance.now();
    readParameters(init.weightLayout, parameters, task.namedVariables);
    let load = secondsSince(started);
    let reduce = 0;
    const baseline = tf.memory().numTensors;
    for (;;) {
      started = performance.now();
      const slot = takeSlot(control, slotHolds);
      const slotWait = secondsSince(started);
      const microBatchIndex = control.claim();
      if (microBatchIndex < 0) break;
      control.setLocation(microBatchIndex, init.workerIndex, slot, slots.length);
      slotHolds[slot] = microBatchIndex;
      currentMicroBatch = microBatchIndex;
      started = performance.now();
      const context = {
        stepIndex: run.stepIndex,
        microBatchIndex,
        microBatchCount: run.batches.length,
        step: run.step,
      };
      const { grads, loss, metrics, outputs } = await microBatchGradients(
        task,
        trainable,
        run.batches[microBatchIndex],
        context,
      );
      const compute = secondsSince(started);
      started = performance.now();
      try {
        for (const [s, { name, offset }] of init.layout.slots.entries()) {
          const gradient = grads.get(name);
          flags[slot]![s] = gradient === undefined ? 0 : 1;
          if (gradient !== undefined) await copyToHost(gradient, slots[slot]!, offset);
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
      post({ type: 'result', callId: run.callId, microBatchIndex, loss, metrics, outputs, ...timing });
      control.markReady(microBatchIndex);
      reduce += drain();
      currentMicroBatch = undefined;
    }
    const span = run.timing ? { span: { startedAt, finishedAt: performance.timeOrigin + performance.now() } } : {};
    post({ type: 'finished', callId: run.callId, reduce, ...span });
  }
}

main().catch((error: unknown) => {
  post({
    type: 'error',
    ...(currentMicroBatch === undefined ? {} : { microBatchIndex: currentMicroBatch }),
    error: serializeError(error),
  });
});
