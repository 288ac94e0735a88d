// The GPT on wasm with core's kernel overrides (SIMD batched matmul for attention, leading-axis
// sums, split/concat, identity, equal, transpose) against the same model with tfjs's own wasm
// kernels and against the cpu reference: same score, same gradients, to float32 rounding.
import * as tf from '@tensorflow/tfjs-core';
import {
  KERNEL_OVERRIDES,
  activeWasmKernelOverrides,
  restoreDefaultGradients,
  restoreWasmKernels,
  selectBackend,
} from '@dpo-ts/core/backend';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { GPT } from './gpt-model.js';
import { sequenceLogProbs } from './sequence-log-probs.js';

interface Run {
  readonly score: number;
  readonly grads: Map<string, number[]>;
}

/** Sum of the sequence log-probs of a padded batch and its gradients (4 rows x 8 tokens, 2 heads). */
function run(): Run {
  const model = new GPT({ vocabSize: 13, contextLength: 8, dModel: 16, nLayer: 2, nHead: 2, seed: 5 });
  let result: Run = { score: 0, grads: new Map() };
  tf.tidy(() => {
    const ids = tf.tensor2d(
      [
        [1, 5, 7, 2, 0, 0, 0, 0],
        [1, 3, 3, 9, 2, 4, 6, 8],
        [1, 12, 11, 10, 9, 8, 7, 2],
        [1, 4, 4, 4, 2, 0, 0, 0],
      ],
      undefined,
      'int32',
    );
    const mask = tf.tensor2d([
      [0, 0, 1, 1, 0, 0, 0, 0],
      [0, 1, 1, 1, 1, 1, 1, 1],
      [0, 0, 0, 1, 1, 1, 1, 1],
      [0, 1, 1, 1, 0, 0, 0, 0],
    ]);
    const { value, grads } = tf.variableGrads(
      () => tf.neg(tf.sum(sequenceLogProbs(model, ids, mask).sum)) as tf.Scalar,
    );
    const names = [...model.namedVariables()].map(([name, variable]) => [name, variable.name] as const);
    result = {
      score: value.dataSync()[0]!,
      grads: new Map(names.map(([name, id]) => [name, Array.from(grads[id]!.dataSync())])),
    };
  });
  model.dispose();
  return result;
}

function expectSameRun(actual: Run, expected: Run): void {
  expect(actual.score).toBeCloseTo(expected.score, 4);
  for (const [name, gradient] of expected.grads)
    expectClose(actual.grads.get(name)!, gradient, { atol: 1e-5, rtol: 1e-3 });
}

describe('GPT on wasm with core kernel overrides', () => {
  afterAll(async () => {
    restoreWasmKernels();
    restoreDefaultGradients();
    await tf.setBackend('cpu');
  });

  it('scores and differentiates as tfjs own wasm kernels and the cpu backend do, leaking nothing', async () => {
    await selectBackend({ backend: 'cpu', quiet: true });
    const cpu = run();
    await selectBackend({ backend: 'wasm', quiet: true, kernelOverrides: 'none' });
    expect(activeWasmKernelOverrides()).toEqual([]);
    const own = run();
    await selectBackend({ backend: 'wasm', quiet: true, kernelOverrides: 'default' });
    expect(activeWasmKernelOverrides()).toEqual([...KERNEL_OVERRIDES]);
    const overridden = await expectNoLeak(() => run());
    expect(Number.isFinite(overridden.score)).toBe(true);
    expectSameRun(overridden, own);
    expectSameRun(overridden, cpu);
  });
});
