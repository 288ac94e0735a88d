// The GPT on the wasm backend against the cpu reference: forward logits and the gradients of
// a sequence score. One-hot embeddings need no gradient override (wasm lacks the
// UnsortedSegmentSum kernel of gather's built-in gradient).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { expectClose } from '@dpo-ts/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { GPT } from './gpt-model.js';
import { sequenceLogProbs } from './sequence-log-probs.js';

describe('GPT on wasm', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('matches cpu: logits and gradients (one-hot embeddings, padded mask)', async () => {
    const run = (): { logits: number[]; grads: Map<string, number[]> } => {
      const model = new GPT({
        vocabSize: 13,
        contextLength: 8,
        dModel: 16,
        nLayer: 2,
        nHead: 2,
        seed: 9,
        tieWeights: true,
      });
      let result = { logits: [] as number[], grads: new Map<string, number[]>() };
      // Assign inside the tidy rather than return: tidy walks returned values for tensors.
      tf.tidy(() => {
        const ids = tf.tensor2d(
          [
            [1, 5, 7, 2, 0],
            [1, 3, 3, 9, 2],
          ],
          undefined,
          'int32',
        );
        const mask = tf.tensor2d([
          [0, 0, 1, 1, 0],
          [0, 1, 1, 1, 1],
        ]);
        const logits = Array.from(model.forward(ids).dataSync());
        const { grads } = tf.variableGrads(() => tf.neg(tf.sum(sequenceLogProbs(model, ids, mask).sum)) as tf.Scalar);
        const names = [...model.namedVariables()].map(([name, variable]) => [name, variable.name] as const);
        result = { logits, grads: new Map(names.map(([name, id]) => [name, Array.from(grads[id]!.dataSync())])) };
      });
      model.dispose();
      return result;
    };
    await tf.setBackend('cpu');
    const cpu = run();
    await tf.setBackend('wasm');
    const wasm = run();
    expect(tf.getBackend()).toBe('wasm');
    expectClose(wasm.logits, cpu.logits, { atol: 1e-5, rtol: 1e-4 });
    for (const [name, gradient] of cpu.grads) expectClose(wasm.grads.get(name)!, gradient, { atol: 1e-5, rtol: 1e-3 });
  });
});
