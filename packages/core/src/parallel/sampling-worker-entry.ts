// The body of every SamplingWorkerPool worker thread: its own tfjs engine on the main thread's
// backend, a sampler replica built from the spec, then one 'task' message per sampling task:
// reload the shared parameters when they changed, run the task, check for leaked tensors, post
// the result. Loaded by path (dist/parallel/sampling-worker-entry.js), never imported by the API.
import * as tf from '@tensorflow/tfjs-core';
import { parentPort, workerData } from 'node:worker_threads';
import '../register-all-gradients.js';
import { selectBackend } from '../backend/select-backend.js';
import { DPOTSError } from '../errors/dpo-ts-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { assertSameLayout, readParameters } from './parameter-layout.js';
import type { Sampler, SamplerFactory } from './sampler.js';
import type { FromSamplingWorker, SamplingWorkerInit, ToSamplingWorker } from './sampling-worker-protocol.js';
import { serializeError } from './worker-protocol.js';

const init = workerData as SamplingWorkerInit;
const port = parentPort!;
const post = (message: FromSamplingWorker): void => port.postMessage(message);

const tasks: Extract<ToSamplingWorker, { type: 'task' }>[] = [];
let wakeTask: (() => void) | undefined;
let currentTask: number | undefined;

port.on('message', (message: ToSamplingWorker) => {
  if (message.type === 'memory') post({ type: 'memory', numTensors: tf.memory().numTensors });
  else {
    tasks.push(message);
    wakeTask?.();
  }
});

async function nextTask(): Promise<Extract<ToSamplingWorker, { type: 'task' }>> {
  while (tasks.length === 0) await new Promise<void>((resolve) => (wakeTask = resolve));
  wakeTask = undefined;
  return tasks.shift()!;
}

async function buildSampler(): Promise<Sampler<unknown, unknown>> {
  const { module, export: name, config } = init.sampler;
  const exports = (await import(module)) as Record<string, unknown>;
  const factory = exports[name];
  if (typeof factory !== 'function')
    throw new InvalidArgumentError('sampler.export', `the name of a function exported by ${module}`, name);
  return (factory as SamplerFactory<unknown, unknown>)(config);
}

async function main(): Promise<void> {
  const label = `worker ${init.workerIndex}`;
  await selectBackend({ backend: init.backend, gradientOverrides: init.gradientOverrides, quiet: true });
  const sampler = await buildSampler();
  assertSameLayout(init.layout, sampler.namedVariables, `${label} sampler`, 'all');
  const parameters = new Float32Array(init.parameters);
  let loadedVersion = -1;
  post({ type: 'ready' });
  for (;;) {
    const { callId, parametersVersion, taskIndex, task } = await nextTask();
    currentTask = taskIndex;
    if (parametersVersion !== loadedVersion) {
      readParameters(init.layout, parameters, sampler.namedVariables);
      loadedVersion = parametersVersion;
    }
    const baseline = tf.memory().numTensors;
    const result = await sampler.sample(task);
    const left = tf.memory().numTensors - baseline;
    if (left !== 0)
      throw new DPOTSError(`${label}: ${left} tensors left alive by sampling task ${taskIndex} (the sampler leaks)`);
    post({ type: 'result', callId, taskIndex, result });
    currentTask = undefined;
  }
}

main().catch((error: unknown) => {
  post({
    type: 'error',
    ...(currentTask === undefined ? {} : { taskIndex: currentTask }),
    error: serializeError(error),
  });
});
