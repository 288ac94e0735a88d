import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectClose } from '../testing/expect-close.js';
import { expectNoLeak } from '../testing/expect-no-leak.js';
import {
  createTinyMLPTask,
  tinyMLPBatches,
  tinyMLPTaskSpec,
  type TinyMLPBatch,
  type TinyMLPTaskConfig,
} from '../testing/tiny-mlp-task.js';
import { createGradientEngine } from './create-gradient-engine.js';
import type { StepGradients } from './gradient-engine.js';
import { GradientWorkerPool } from './gradient-worker-pool.js';
import { InProcessGradientEngine } from './in-process-gradient-engine.js';
import type { ParallelTask } from './parallel-task.js';

// Workers load dist/: these tests need `npm run build` of core first (CI builds before testing).
const config: TinyMLPTaskConfig = { inputSize: 5, hiddenSize: 8, outputSize: 3, seed: 7, unusedVariable: true };
// Micro-batches of different sizes, so each one's `rows` metric says which it is.
const batches: TinyMLPBatch[] = [3, 4, 5, 6, 7].flatMap((rows, k) => tinyMLPBatches(config, 1, rows, 100 + k));
const totalRows = 25;

/** d loss / d l2.bias of the whole step in float64 JS, from the weights: 2 sum (prediction - y) / totalRows. */
function outputBiasGradient(weights: Map<string, Float32Array>): number[] {
  const { inputSize: I, hiddenSize: H, outputSize: O } = config;
  const gradient = new Array<number>(O).fill(0);
  for (const { x, y, rows } of batches) {
    for (let r = 0; r < rows; r++) {
      const hidden = Array.from({ length: H }, (_, h) => {
        let z = weights.get('l1.bias')![h]!;
        for (let i = 0; i < I; i++) z += x[r * I + i]! * weights.get('l1.kernel')![i * H + h]!;
        return Math.tanh(z);
      });
      for (let o = 0; o < O; o++) {
        let prediction = weights.get('l2.bias')![o]!;
        for (let h = 0; h < H; h++) prediction += hidden[h]! * weights.get('l2.kernel')![h * O + o]!;
        gradient[o]! += (2 * (prediction - y[r * O + o]!)) / totalRows;
      }
    }
  }
  return gradient;
}

function weightsOf(task: ParallelTask<TinyMLPBatch>): Map<string, Float32Array> {
  return new Map([...task.namedVariables].map(([name, variable]) => [name, variable.dataSync() as Float32Array]));
}

function dispose(result: StepGradients): void {
  tf.dispose([...result.grads.values()]);
}

describe('GradientWorkerPool', () => {
  let task: ParallelTask<TinyMLPBatch>;
  let pool: GradientWorkerPool<TinyMLPBatch>;
  beforeAll(async () => {
    task = createTinyMLPTask(config);
    pool = await GradientWorkerPool.create<TinyMLPBatch>({
      task: tinyMLPTaskSpec(config),
      parameters: task.namedVariables,
      workers: 2,
    });
  });
  afterAll(async () => {
    await pool.close();
    task.dispose!();
  });

  it('2 workers give the single-thread gradients bit for bit, metrics and outputs in micro-batch order, and the maths checks out', async () => {
    const call = { stepIndex: 3, step: { totalRows } };
    const local = await new InProcessGradientEngine(task).computeGradients(batches, call);
    const parallel = await expectNoLeak(() => pool.computeGradients(batches, call), 4);
    expect([...parallel.grads.keys()]).toEqual(['l1.kernel', 'l1.bias', 'l2.kernel', 'l2.bias']); // 'unused' has no gradient
    // Same kernels, same per-micro-batch gradients, same float32 summation order: equal bits, not
    // just float32 tolerance (measured too for GPT d 128 on wasm with 2 and 3 workers).
    for (const [name, gradient] of local.grads)
      expect(Array.from(parallel.grads.get(name)!.dataSync())).toEqual(Array.from(gradient.dataSync()));
    expect(parallel.microBatches.map((m) => m.metrics.rows)).toEqual([3, 4, 5, 6, 7]);
    parallel.microBatches.forEach((m, k) => {
      expect(m.loss).toBeCloseTo(local.microBatches[k]!.loss, 6);
      expect(m.loss).toBeCloseTo(m.metrics.sse! / totalRows, 5);
      const rowErrors = m.outputs.rowErrors!;
      expect(rowErrors).toHaveLength(m.metrics.rows!);
      expect(Array.from(rowErrors)).toEqual(Array.from(local.microBatches[k]!.outputs.rowErrors!));
      expect(rowErrors.reduce((a, b) => a + b, 0)).toBeCloseTo(m.metrics.sse!, 4);
    });
    expectClose(parallel.grads.get('l2.bias')!, outputBiasGradient(weightsOf(task)), { atol: 1e-5, rtol: 1e-4 });
    dispose(local);
    dispose(parallel);
  });

  it('is deterministic: two calls, and a second pool of the same size, give identical bits', async () => {
    const call = { step: { totalRows }, divisor: 3 };
    const first = await pool.computeGradients(batches, call);
    const second = await pool.computeGradients(batches, call);
    const other = await GradientWorkerPool.create<TinyMLPBatch>({
      task: tinyMLPTaskSpec(config),
      parameters: task.namedVariables,
      workers: 2,
      slotsPerWorker: 1,
    });
    const third = await other.computeGradients(batches, call);
    await other.close();
    for (const [name, gradient] of first.grads) {
      expect(Array.from(second.grads.get(name)!.dataSync())).toEqual(Array.from(gradient.dataSync()));
      expect(Array.from(third.grads.get(name)!.dataSync())).toEqual(Array.from(gradient.dataSync()));
    }
    [first, second, third].forEach(dispose);
  });

  it("sees the main thread's new weights on every call (after an optimiser step)", async () => {
    const l2Bias = task.namedVariables.get('l2.bias')!;
    const before = l2Bias.dataSync().slice();
    l2Bias.assign(tf.tensor1d([0.5, -1, 2]));
    try {
      const local = await new InProcessGradientEngine(task).computeGradients(batches, { step: { totalRows } });
      const parallel = await pool.computeGradients(batches, { step: { totalRows } });
      for (const [name, gradient] of local.grads)
        expectClose(parallel.grads.get(name)!, gradient, { atol: 1e-6, rtol: 1e-5 });
      expectClose(parallel.grads.get('l2.bias')!, outputBiasGradient(weightsOf(task)), { atol: 1e-5, rtol: 1e-4 });
      dispose(local);
      dispose(parallel);
    } finally {
      l2Bias.assign(tf.tensor1d(before));
    }
  });

  it('copies frozen (non-trainable) variables too, at every call, and gives them no gradient', async () => {
    const frozenConfig: TinyMLPTaskConfig = { ...config, unusedVariable: false, frozenOutputScale: true };
    const frozenTask = createTinyMLPTask(frozenConfig);
    const frozenPool = await GradientWorkerPool.create<TinyMLPBatch>({
      task: tinyMLPTaskSpec(frozenConfig),
      parameters: frozenTask.namedVariables,
      workers: 2,
    });
    try {
      frozenTask.namedVariables.get('outputScale')!.assign(tf.tensor1d([2, 0.5, -1])); // as a reference sync would
      const local = await new InProcessGradientEngine(frozenTask).computeGradients(batches, { step: { totalRows } });
      const parallel = await frozenPool.computeGradients(batches, { step: { totalRows } });
      expect([...parallel.grads.keys()]).toEqual(['l1.kernel', 'l1.bias', 'l2.kernel', 'l2.bias']);
      for (const [name, gradient] of local.grads)
        expect(Array.from(parallel.grads.get(name)!.dataSync())).toEqual(Array.from(gradient.dataSync()));
      expect(parallel.microBatches.map((m) => m.loss)).toEqual(local.microBatches.map((m) => m.loss));
      // A frozen scale of 1 (what the replicas were built with) would give another loss.
      const unscaled = await pool.computeGradients(batches, { step: { totalRows } });
      expect(unscaled.microBatches[0]!.loss).not.toBeCloseTo(parallel.microBatches[0]!.loss, 3);
      [local, parallel, unscaled].forEach(dispose);
    } finally {
      await frozenPool.close();
      frozenTask.dispose!();
    }
  });

  it("leaves no tensor in any worker: each holds only its replica's variables between calls", async () => {
    const variables = task.namedVariables.size;
    expect(await pool.workerTensorCounts()).toEqual([variables, variables]);
    dispose(await pool.computeGradients(batches.slice(0, 3)));
    expect(await pool.workerTensorCounts()).toEqual([variables, variables]);
  });

  it('runs with more workers than micro-batches, and 3 workers give the bits of 2', async () => {
    const three = await GradientWorkerPool.create<TinyMLPBatch>({
      task: tinyMLPTaskSpec(config),
      parameters: task.namedVariables,
      workers: 3,
    });
    try {
      const one = await three.computeGradients(batches.slice(0, 1), { step: { totalRows } });
      const all = await three.computeGradients(batches, { step: { totalRows } });
      const two = await pool.computeGradients(batches, { step: { totalRows } });
      expect(one.microBatches.map((m) => m.metrics.rows)).toEqual([3]);
      for (const [name, gradient] of two.grads)
        expect(Array.from(all.grads.get(name)!.dataSync())).toEqual(Array.from(gradient.dataSync()));
      [one, all, two].forEach(dispose);
    } finally {
      await three.close();
    }
  });

  it('calls afterMicroBatch in micro-batch order; a throw rejects the call and leaves no tensor', async () => {
    const seen: number[] = [];
    dispose(
      await pool.computeGradients(batches, {
        afterMicroBatch: (values, k) => void seen.push(k * 100 + values.metrics.rows!),
      }),
    );
    expect(seen).toEqual([3, 104, 205, 306, 407]);
    const before = tf.memory().numTensors;
    await expect(
      pool.computeGradients(batches, {
        afterMicroBatch: (_, k) => {
          if (k === 2) throw new Error('state update failed');
        },
      }),
    ).rejects.toThrow('state update failed');
    expect(tf.memory().numTensors).toBe(before);
    dispose(await pool.computeGradients(batches.slice(0, 2))); // the pool still works
  });

  it('refuses a second call while one runs', async () => {
    const first = pool.computeGradients(batches);
    await expect(pool.computeGradients(batches)).rejects.toThrow(
      'GradientWorkerPool.computeGradients is already running: await the previous call',
    );
    dispose(await first);
  });

  it('rejects bad calls by name', async () => {
    await expect(pool.computeGradients([])).rejects.toThrow('batches must be at least one micro-batch');
    await expect(pool.computeGradients(batches, { divisor: -1 })).rejects.toThrow(
      'divisor must be a finite number > 0: got -1',
    );
    await expect(pool.computeGradients(batches, { stepIndex: -1 })).rejects.toThrow(
      'call.stepIndex must be an integer >= 0: got -1',
    );
  });
});

describe('InProcessGradientEngine', () => {
  it("runs afterMicroBatch before the next micro-batch's loss (state later losses read), and frees everything on a throw", async () => {
    const task = createTinyMLPTask(config);
    const events: string[] = [];
    const logged: ParallelTask<TinyMLPBatch> = {
      namedVariables: task.namedVariables,
      lossAndMetrics: (batch, context) => {
        events.push(`loss ${context.microBatchIndex}`);
        return task.lossAndMetrics(batch, context);
      },
    };
    const engine = new InProcessGradientEngine(logged);
    dispose(
      await engine.computeGradients(batches.slice(0, 3), { afterMicroBatch: (_, k) => void events.push(`after ${k}`) }),
    );
    expect(events).toEqual(['loss 0', 'after 0', 'loss 1', 'after 1', 'loss 2', 'after 2']);
    await expectNoLeak(() =>
      expect(
        engine.computeGradients(batches, {
          afterMicroBatch: (_, k) => {
            if (k === 1) throw new Error('no');
          },
        }),
      ).rejects.toThrow('no'),
    );
    task.dispose!();
  });
});

describe('createGradientEngine', () => {
  it('keeps one worker on the main thread, with no thread at all', async () => {
    const task = createTinyMLPTask(config);
    const engine = await createGradientEngine({
      task,
      spec: tinyMLPTaskSpec(config),
      workers: 1,
      microBatchesPerStep: 4,
    });
    expect(engine).toBeInstanceOf(InProcessGradientEngine);
    const result = await expectNoLeak(() => engine.computeGradients(batches, { step: { totalRows } }), 4);
    expectClose(result.grads.get('l2.bias')!, outputBiasGradient(weightsOf(task)), { atol: 1e-5, rtol: 1e-4 });
    dispose(result);
    await engine.close();
    task.dispose!();
  });

  it('starts a pool for 2 workers', async () => {
    const task = createTinyMLPTask(config);
    const engine = await createGradientEngine({
      task,
      spec: tinyMLPTaskSpec(config),
      workers: 2,
      microBatchesPerStep: 4,
    });
    expect(engine).toBeInstanceOf(GradientWorkerPool);
    expect(engine.workers).toBe(2);
    await engine.close();
    await engine.close();
    await expect(engine.computeGradients(batches)).rejects.toThrow('GradientWorkerPool is closed');
    task.dispose!();
  });
});
