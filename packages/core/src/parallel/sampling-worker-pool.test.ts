import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeak } from '../testing/expect-no-leak.js';
import {
  createTinySampler,
  tinySamplerSpec,
  type TinySamplerConfig,
  type TinySamplingResult,
  type TinySamplingTask,
} from '../testing/tiny-sampler.js';
import type { Sampler } from './sampler.js';
import { sampleTasks } from './sample-tasks.js';
import { SamplingWorkerFailedError } from './sampling-worker-failed-error.js';
import { SamplingWorkerPool } from './sampling-worker-pool.js';
import { WorkerFailedError } from './worker-failed-error.js';

// Workers load dist/: these tests need `npm run build` of core first (CI builds before testing).
const config: TinySamplerConfig = { inputSize: 3, categories: 5, seed: 9 };
// Tasks of different sizes, so each result's length says which task it is.
const tasks: TinySamplingTask[] = [4, 7, 1, 5, 3, 6, 2].map((count, k) => ({
  x: [0.5 - k * 0.1, k * 0.2, -1],
  count,
  seed: 1000 + k,
}));

/** log softmax(x W + b) in float64 JS, from the sampler's weights. */
function logSoftmax(sampler: Sampler<TinySamplingTask, TinySamplingResult>, x: readonly number[]): number[] {
  const w = sampler.namedVariables.get('w')!.dataSync();
  const b = sampler.namedVariables.get('b')!.dataSync();
  const logits = Array.from({ length: config.categories }, (_, c) =>
    x.reduce((sum, xi, i) => sum + xi * w[i * config.categories + c]!, b[c]!),
  );
  const max = Math.max(...logits);
  const logZ = max + Math.log(logits.reduce((sum, z) => sum + Math.exp(z - max), 0));
  return logits.map((z) => z - logZ);
}

describe('SamplingWorkerPool', () => {
  let sampler: Sampler<TinySamplingTask, TinySamplingResult>;
  let pools: SamplingWorkerPool<TinySamplingTask, TinySamplingResult>[];
  beforeAll(async () => {
    sampler = createTinySampler(config);
    pools = await Promise.all(
      [1, 2].map((workers) =>
        SamplingWorkerPool.create<TinySamplingTask, TinySamplingResult>({
          sampler: tinySamplerSpec({ ...config, seed: 123 }), // other initial weights: the pool must copy ours
          parameters: sampler.namedVariables,
          workers,
        }),
      ),
    );
  });
  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.close()));
    sampler.dispose!();
  });

  it('gives the same samples with 1 and 2 workers as on the main thread, in task order, leaking nothing', async () => {
    const inProcess: TinySamplingResult[] = [];
    for (const task of tasks) inProcess.push(await sampler.sample(task));
    const [one, two] = await expectNoLeak(() => Promise.all(pools.map((pool) => pool.sample(tasks))));
    expect(one!.map((r) => r.samples.length)).toEqual(tasks.map((t) => t.count));
    for (const results of [one!, two!]) {
      results.forEach((result, k) => {
        expect(Array.from(result.samples)).toEqual(Array.from(inProcess[k]!.samples));
        expect(Array.from(result.logProbs)).toEqual(Array.from(inProcess[k]!.logProbs));
      });
    }
    // The log-probs are the weights' (copied from the main thread), not the replicas' own initial ones.
    const expected = logSoftmax(sampler, tasks[1]!.x);
    Array.from(two![1]!.samples).forEach((category, i) => {
      expect(two![1]!.logProbs[i]).toBeCloseTo(expected[category]!, 5);
    });
    expect(new Set(one!.flatMap((r) => Array.from(r.samples))).size).toBeGreaterThan(1);
    for (const pool of pools) expect(await pool.workerTensorCounts()).toEqual(pool.workers === 1 ? [2] : [2, 2]);
  });

  it('samples with the weights of the call: a change on the main thread reaches every worker', async () => {
    const w = sampler.namedVariables.get('w')!;
    const before = w.dataSync().slice();
    tf.tidy(() => w.assign(tf.mul(w, -3)));
    try {
      const results = await pools[1]!.sample(tasks);
      const expected = logSoftmax(sampler, tasks[6]!.x);
      Array.from(results[6]!.samples).forEach((category, i) => {
        expect(results[6]!.logProbs[i]).toBeCloseTo(expected[category]!, 5);
      });
    } finally {
      tf.tidy(() => w.assign(tf.tensor(before, w.shape)));
    }
  });

  it('reports each result as it arrives; an onResult that throws rejects the call, and the pool still samples', async () => {
    const seen: number[] = [];
    await pools[1]!.sample(tasks, { onResult: (result, k) => seen.push(k + 100 * result.samples.length) });
    expect(seen.slice().sort((a, b) => a - b)).toEqual(
      tasks.map((task, k) => k + 100 * task.count).sort((a, b) => a - b),
    );
    await expect(
      pools[1]!.sample(tasks, {
        onResult: () => {
          throw new Error('progress bar broke');
        },
      }),
    ).rejects.toThrow('progress bar broke');
    const again = await pools[1]!.sample(tasks.slice(0, 3));
    expect(again.map((r) => r.samples.length)).toEqual([4, 7, 1]);
  });

  it('sampleTasks: workers 1 runs on the main thread, workers 2 on a pool, with the same results', async () => {
    const main = await sampleTasks(tasks, { sampler, spec: tinySamplerSpec(config), workers: 1 });
    const threads = await sampleTasks(tasks, { sampler, spec: tinySamplerSpec(config), workers: 2 });
    expect(threads.map((r) => Array.from(r.samples))).toEqual(main.map((r) => Array.from(r.samples)));
    await expect(sampleTasks([], { sampler })).rejects.toThrow('tasks must be at least one task');
    await expect(sampleTasks(tasks, { sampler, workers: 0 })).rejects.toThrow(
      "options.workers must be an integer >= 1 or 'auto': got 0",
    );
  });
});

describe('SamplingWorkerPool failures', () => {
  async function failingCall(fail: TinySamplingTask['fail'], workers = 1): Promise<SamplingWorkerFailedError> {
    const sampler = createTinySampler(config);
    const pool = await SamplingWorkerPool.create<TinySamplingTask, TinySamplingResult>({
      sampler: tinySamplerSpec(config),
      parameters: sampler.namedVariables,
      workers,
    });
    const numTensors = tf.memory().numTensors;
    const failing = tasks.map((task, k) => (k === 3 ? { ...task, fail } : task));
    const error = await pool.sample(failing).then(
      () => undefined,
      (rejection: unknown) => rejection,
    );
    expect(tf.memory().numTensors).toBe(numTensors);
    expect(error).toBeInstanceOf(SamplingWorkerFailedError);
    expect(error).toBeInstanceOf(WorkerFailedError);
    // The pool is shut down: the next call rejects with the same error.
    await expect(pool.sample(tasks)).rejects.toBe(error);
    await pool.close();
    sampler.dispose!();
    return error as SamplingWorkerFailedError;
  }

  it('reports an error thrown in a worker with its worker and task', async () => {
    const error = await failingCall('throw', 2);
    expect(error.message).toMatch(
      /^worker [01] failed on sampling task 3: DPOTSError: tiny sampler: injected failure$/,
    );
    expect(error.taskIndex).toBe(3);
    expect(error.workerStack).toContain('tiny-sampler.js');
  });

  it('reports a worker thread that exits, without hanging', async () => {
    const error = await failingCall('exit');
    expect(error.message).toMatch(/^worker [01] failed on sampling task 3: exit: the thread exited with code 3$/);
  });

  it('catches a tensor leaked by the sampler in a worker', async () => {
    const error = await failingCall('leak');
    expect(error.message).toMatch(
      /^worker [01] failed on sampling task 3: DPOTSError: worker [01]: 1 tensors left alive by sampling task 3 \(the sampler leaks\)$/,
    );
  });

  it("refuses to start when a replica does not match the main thread's variables", async () => {
    const sampler = createTinySampler(config);
    await expect(
      SamplingWorkerPool.create({
        sampler: tinySamplerSpec({ ...config, categories: 4 }),
        parameters: sampler.namedVariables,
        workers: 1,
      }),
    ).rejects.toThrow(
      'worker 0 failed: ShapeMismatchError: worker 0 sampler variable w must have shape [3, 5]: got [3, 4]',
    );
    await expect(
      SamplingWorkerPool.create({
        sampler: { ...tinySamplerSpec(config), export: 'nope' },
        parameters: sampler.namedVariables,
        workers: 1,
      }),
    ).rejects.toThrow('sampler.export must be the name of a function exported by @dpo-ts/core/testing');
    sampler.dispose!();
  });
});
