import * as tf from '@tensorflow/tfjs-core';
import { accumulateGradients, computeNamedGradients, mixSeeds, Rng } from '@dpo-ts/core/training';
import { GradientWorkerPool, InProcessGradientEngine } from '@dpo-ts/core/parallel';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { GPT } from './gpt-model.js';
import { createGPTSFTTask, gptSFTTaskSpec, type GPTSFTTaskConfig } from './gpt-sft-task.js';
import { lmBatchTensors, type LMBatch } from './lm-batch.js';
import { nextTokenStatistics } from './next-token-loss.js';

// Workers import '@dpo-ts/lm' from dist/: these tests need `npm run build` first (CI builds before testing).
const config: GPTSFTTaskConfig = {
  gpt: { vocabSize: 23, contextLength: 12, dModel: 16, nLayer: 2, nHead: 2, seed: 5 },
};

/** `count` micro-batches of 3 random rows of 12 tokens; the loss mask skips a random prefix. */
function microBatches(count: number, seed: number): LMBatch[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => {
    const inputIds = Int32Array.from({ length: 36 }, () => rng.int(23));
    const promptLengths = [0, 1, 2].map(() => 1 + rng.int(6));
    const lossMask = Float32Array.from({ length: 36 }, (_, i) =>
      i % 12 >= promptLengths[Math.floor(i / 12)]! ? 1 : 0,
    );
    return {
      inputIds,
      lossMask,
      batchSize: 3,
      sequenceLength: 12,
      promptLengths,
      completionLengths: promptLengths.map((p) => 12 - p),
    };
  });
}

/**
 * SFTTrainer's single-thread accumulation, written out: sum_k grad(nllSum_k / totalTokens), with
 * dropout drawn from the task's documented stream mixSeeds(seed, stepIndex, k) when `seed` is given.
 */
function singleThreadGradients(
  model: GPT,
  batches: readonly LMBatch[],
  totalTokens: number,
  dropout?: { seed: number; stepIndex: number },
): Map<string, tf.Tensor> {
  const accumulated = new Map<string, tf.Tensor>();
  batches.forEach((batch, k) => {
    const rng = dropout === undefined ? undefined : new Rng(mixSeeds(dropout.seed, dropout.stepIndex, k));
    const { value, grads } = computeNamedGradients(() => {
      const { inputIds, lossMask } = lmBatchTensors(batch);
      return tf.div(
        nextTokenStatistics(model, inputIds, lossMask, { training: true, ...(rng ? { rng } : {}) }).nllSum,
        totalTokens,
      ) as tf.Scalar;
    }, model.namedVariables());
    value.dispose();
    accumulateGradients(accumulated, grads);
  });
  return accumulated;
}

describe('createGPTSFTTask', () => {
  it("2 workers give lm's single-thread SFT gradient of the same loss (dropout on), and leak nothing", async () => {
    const dropoutConfig: GPTSFTTaskConfig = { gpt: { ...config.gpt, dropout: 0.2 }, seed: 9 };
    const model = new GPT(dropoutConfig.gpt);
    const batches = microBatches(4, 1);
    const totalTokens = batches.reduce((sum, batch) => sum + batch.lossMask.reduce((a, b) => a + b, 0), 0);
    const stepIndex = 4;
    const expected = singleThreadGradients(model, batches, totalTokens, { seed: 9, stepIndex });
    const pool = await GradientWorkerPool.create<LMBatch>({
      task: gptSFTTaskSpec(dropoutConfig),
      parameters: model.namedVariables(),
      workers: 2,
    });
    try {
      const result = await expectNoLeak(
        () => pool.computeGradients(batches, { stepIndex, step: { totalTokens } }),
        expected.size,
      );
      expect([...result.grads.keys()]).toEqual([...model.namedVariables().keys()]);
      for (const [name, gradient] of expected)
        expectClose(result.grads.get(name)!, gradient, { atol: 1e-6, rtol: 1e-4 });
      const tokens = result.microBatches.reduce((sum, m) => sum + m.metrics.token_count!, 0);
      const nll = result.microBatches.reduce((sum, m) => sum + m.metrics.nll_sum!, 0);
      expect(tokens).toBe(totalTokens);
      expect(result.microBatches.reduce((sum, m) => sum + m.loss, 0)).toBeCloseTo(nll / totalTokens, 5);
      expect(nll / totalTokens).toBeCloseTo(Math.log(23), 0); // an untrained model is near uniform
      // Dropout is really on: without it the gradient differs.
      const plain = singleThreadGradients(model, batches, totalTokens);
      expect(plain.get('wte')!.dataSync()[0]).not.toBe(result.grads.get('wte')!.dataSync()[0]);
      tf.dispose([...result.grads.values(), ...plain.values()]);
      const variables = model.namedVariables().size;
      expect(await pool.workerTensorCounts()).toEqual([variables, variables]);
    } finally {
      await pool.close();
      tf.dispose([...expected.values()]);
      model.dispose();
    }
  });

  it("on the main thread (the workers: 1 path) uses the trainer's model and frees only what it built", async () => {
    const model = new GPT(config.gpt);
    const task = createGPTSFTTask(config, model);
    const batches = microBatches(2, 3);
    const expected = singleThreadGradients(model, batches, 40);
    const local = await expectNoLeak(
      () => new InProcessGradientEngine(task).computeGradients(batches, { step: { totalTokens: 40 } }),
      expected.size,
    );
    for (const [name, gradient] of expected)
      expect(Array.from(local.grads.get(name)!.dataSync())).toEqual(Array.from(gradient.dataSync()));
    task.dispose!();
    expect(model.namedVariables().size).toBeGreaterThan(0); // still alive: the task did not own it
    tf.dispose([...local.grads.values(), ...expected.values()]);
    model.dispose();
  });
});
