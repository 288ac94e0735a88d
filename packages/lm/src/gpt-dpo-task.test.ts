import * as tf from '@tensorflow/tfjs-core';
import { computePreferenceLoss, createPreferenceLossState, resolvePreferenceLossConfig } from '@dpo-ts/core';
import { accumulateGradients, computeNamedGradients, Rng } from '@dpo-ts/core/training';
import { GradientWorkerPool, InProcessGradientEngine } from '@dpo-ts/core/parallel';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { frozenCopy } from './dpo-reference.js';
import { createGPTDPOTask, gptDPOTaskSpec, GPT_DPO_REFERENCE_PREFIX, type GPTDPOTaskConfig } from './gpt-dpo-task.js';
import { GPT } from './gpt-model.js';
import { LMPreferenceScorer } from './lm-preference-scorer.js';
import type { LMPreferenceBatch } from './preference-batch.js';

// Workers import '@dpo-ts/lm' from dist/: these tests need `npm run build` first (CI builds before testing).
const config: GPTDPOTaskConfig = {
  gpt: { vocabSize: 19, contextLength: 10, dModel: 16, nLayer: 1, nHead: 2, seed: 5 },
  loss: { beta: 0.5 },
};

/** `count` micro-batches of 2 pairs (rows 0-1 chosen, 2-3 rejected) of 10 random tokens; prompts of 3 tokens are not scored. */
function pairBatches(count: number, seed: number): LMPreferenceBatch[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => ({
    inputIds: Int32Array.from({ length: 40 }, () => rng.int(19)),
    lossMask: Float32Array.from({ length: 40 }, (_, i) => (i % 10 >= 3 ? 1 : 0)),
    batchSize: 4,
    sequenceLength: 10,
    numPairs: 2,
    promptLengths: [3, 3, 3, 3],
    completionLengths: [7, 7, 7, 7],
  }));
}

describe('createGPTDPOTask', () => {
  it('2 workers give the single-thread DPO gradient (policy vs a frozen reference, mean over micro-batches)', async () => {
    const policy = new GPT(config.gpt);
    const other = new GPT({ ...config.gpt, seed: 6 });
    const reference = frozenCopy(other);
    other.dispose();
    const batches = pairBatches(3, 1);
    // The DPO step written out: sum_k grad(loss_k) / 3, loss_k = computePreferenceLoss(policy, reference scores).
    const lossConfig = resolvePreferenceLossConfig({ beta: 0.5 });
    const expected = new Map<string, tf.Tensor>();
    for (const batch of batches) {
      const { value, grads } = computeNamedGradients(() => {
        const policyScores = new LMPreferenceScorer(policy).score(batch, { training: true });
        const referenceScores = new LMPreferenceScorer(reference, { trainable: false }).score(batch, {
          training: false,
        });
        return computePreferenceLoss(policyScores, referenceScores, lossConfig, createPreferenceLossState()).loss;
      }, policy.namedVariables());
      value.dispose();
      accumulateGradients(expected, grads, 3);
    }
    const task = createGPTDPOTask(config, policy, reference);
    expect(task.namedVariables.get(`${GPT_DPO_REFERENCE_PREFIX}wte`)!.trainable).toBe(false);
    const pool = await GradientWorkerPool.create<LMPreferenceBatch>({
      task: gptDPOTaskSpec(config),
      parameters: task.namedVariables,
      workers: 2,
    });
    try {
      const result = await expectNoLeak(() => pool.computeGradients(batches, { divisor: 3 }), expected.size);
      expect([...result.grads.keys()]).toEqual([...policy.namedVariables().keys()]); // no gradient for the reference
      for (const [name, gradient] of expected)
        expectClose(result.grads.get(name)!, gradient, { atol: 1e-6, rtol: 1e-4 });
      const local = await new InProcessGradientEngine(task).computeGradients(batches, { divisor: 3 });
      result.microBatches.forEach((m, k) => {
        expect(m.outputs.chosenRewards).toHaveLength(2);
        expect(Array.from(m.outputs.chosenRewards!)).toEqual(Array.from(local.microBatches[k]!.outputs.chosenRewards!));
        const [c0, c1] = m.outputs.chosenRewards!;
        const [r0, r1] = m.outputs.rejectedRewards!;
        expect(m.metrics['rewards/margins']).toBeCloseTo((c0! - r0! + c1! - r1!) / 2, 5);
        expect(m.metrics['rewards/accuracies']).toBe(((c0! > r0! ? 1 : 0) + (c1! > r1! ? 1 : 0)) / 2);
        // sigmoid DPO, Eq. 7: mean_i -log sigmoid(margin_i), margins already carry beta.
        const nll = (margin: number) => Math.log1p(Math.exp(-margin));
        expect(m.loss).toBeCloseTo((nll(c0! - r0!) + nll(c1! - r1!)) / 2, 5);
      });
      tf.dispose([...result.grads.values(), ...local.grads.values()]);
    } finally {
      await pool.close();
      tf.dispose([...expected.values()]);
      task.dispose!();
      policy.dispose();
      reference.dispose();
    }
  });

  it('refuses a reference whose variables are trainable', () => {
    const policy = new GPT(config.gpt);
    expect(() => createGPTDPOTask(config, policy, policy)).toThrow(
      'reference variable wte must be frozen (trainable: false; see frozenCopy): got true',
    );
    policy.dispose();
  });
});
