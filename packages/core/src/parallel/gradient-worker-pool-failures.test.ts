import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  createTinyMLPTask,
  tinyMLPBatches,
  tinyMLPTaskSpec,
  type TinyMLPBatch,
  type TinyMLPTaskConfig,
} from '../testing/tiny-mlp-task.js';
import { GradientWorkerPool } from './gradient-worker-pool.js';
import { WorkerFailedError } from './worker-failed-error.js';

// Workers load dist/: these tests need `npm run build` of core first (CI builds before testing).
const config: TinyMLPTaskConfig = { inputSize: 4, hiddenSize: 6, outputSize: 2, seed: 3 };
const batches = tinyMLPBatches(config, 4, 3, 11);

/** Runs one call on a pool whose replicas are built from `workerConfig`; returns the rejection. */
async function failingCall(
  workerConfig: TinyMLPTaskConfig,
): Promise<{ error: WorkerFailedError; pool: GradientWorkerPool<TinyMLPBatch> }> {
  const task = createTinyMLPTask(config);
  const numTensors = tf.memory().numTensors;
  const pool = await GradientWorkerPool.create<TinyMLPBatch>({
    task: tinyMLPTaskSpec(workerConfig),
    parameters: task.namedVariables,
    workers: 2,
  });
  const error = await pool.computeGradients(batches, { stepIndex: 12 }).then(
    () => undefined,
    (rejection: unknown) => rejection,
  );
  expect(tf.memory().numTensors).toBe(numTensors); // nothing left on the main thread
  task.dispose!();
  expect(error).toBeInstanceOf(WorkerFailedError);
  return { error: error as WorkerFailedError, pool };
}

describe('GradientWorkerPool failures', () => {
  it('reports an error thrown in a worker with its worker, micro-batch and step, and shuts the pool down', async () => {
    const { error, pool } = await failingCall({ ...config, fail: { microBatchIndex: 3, mode: 'throw' } });
    // Workers take micro-batches in turn, so either may have had micro-batch 3.
    expect([0, 1]).toContain(error.workerIndex);
    expect(error.message).toBe(
      `worker ${error.workerIndex} failed on micro-batch 3 of step 12: DPOTSError: tiny MLP task: injected failure on micro-batch 3`,
    );
    expect(error.microBatchIndex).toBe(3);
    expect(error.workerStack).toContain('tiny-mlp-task.js');
    await expect(pool.computeGradients(batches)).rejects.toBe(error);
    await pool.close();
  });

  it('reports a worker thread that exits (process.exit in the worker) without hanging', async () => {
    const { error, pool } = await failingCall({ ...config, fail: { microBatchIndex: 2, mode: 'exit' } });
    expect([0, 1]).toContain(error.workerIndex);
    expect(error.message).toBe(
      `worker ${error.workerIndex} failed on micro-batch 2 of step 12: exit: the thread exited with code 3`,
    );
    expect(error.workerErrorName).toBe('exit');
    await pool.close();
  });

  it('catches a tensor leaked by the task in a worker', async () => {
    const { error, pool } = await failingCall({ ...config, fail: { microBatchIndex: 1, mode: 'leak' } });
    const worker = error.workerIndex;
    expect([0, 1]).toContain(worker);
    expect(error.message).toBe(
      `worker ${worker} failed on micro-batch 1 of step 12: DPOTSError: worker ${worker}: 1 tensors left alive by micro-batch 1 (the task's loss leaks; wrap it in tf.tidy)`,
    );
    await pool.close();
  });

  it("refuses to start when a replica does not match the main thread's parameters", async () => {
    const task = createTinyMLPTask(config);
    const create = (workerConfig: TinyMLPTaskConfig, exportName = 'createTinyMLPTask') =>
      GradientWorkerPool.create({
        task: { ...tinyMLPTaskSpec(workerConfig), export: exportName },
        parameters: task.namedVariables,
        workers: 1,
      });
    await expect(create({ ...config, hiddenSize: 5 })).rejects.toThrow(
      'worker 0 failed: ShapeMismatchError: worker 0 replica variable l1.kernel must have shape [4, 6]: got [4, 5]',
    );
    await expect(create({ ...config, unusedVariable: true })).rejects.toThrow(
      'replica trainable variables must be the names [l1.kernel, l1.bias, l2.kernel, l2.bias] in that order',
    );
    await expect(create(config, 'noSuchFactory')).rejects.toThrow(
      'task.export must be the name of a function exported by @dpo-ts/core/testing: got "noSuchFactory"',
    );
    await expect(
      GradientWorkerPool.create({
        task: { module: '@dpo-ts/no-such-package', export: 'x', config: null },
        parameters: task.namedVariables,
        workers: 1,
      }),
    ).rejects.toThrow(/worker 0 failed: Error: Cannot find package '@dpo-ts\/no-such-package'/);
    const notJSON = { ...tinyMLPTaskSpec(config), config: { hook: () => 1 } as never };
    await expect(
      GradientWorkerPool.create({ task: notJSON, parameters: task.namedVariables, workers: 2 }),
    ).rejects.toThrow('options.task must be a task spec whose config is JSON');
    await expect(
      GradientWorkerPool.create({ task: tinyMLPTaskSpec(config), parameters: task.namedVariables, workers: 0 }),
    ).rejects.toThrow('options.workers must be an integer >= 1: got 0');
    task.dispose!();
  });
});
