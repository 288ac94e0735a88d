import * as tf from '@tensorflow/tfjs-core';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { ScalarHead } from './scalar-head.js';

describe('ScalarHead', () => {
  it('maps [B, T, d] to [B, T] (and [N, d] to [N]) with h w + b', async () => {
    await expectNoLeak(() => {
      const head = new ScalarHead({ inputSize: 2, bias: true, name: 'v' });
      const weights = new Map<string, tf.Tensor>([
        ['v.kernel', tf.tensor2d([[2], [-1]])],
        ['v.bias', tf.tensor1d([0.5])],
      ]);
      head.assignWeights(weights);
      tf.dispose([...weights.values()]);
      tf.tidy(() => {
        // [1, 2] . [2, -1] + 0.5 = 0.5; [3, 1] -> 5.5; [0, 0] -> 0.5; [-1, 2] -> -3.5
        expectClose(
          head.apply(
            tf.tensor3d([
              [
                [1, 2],
                [3, 1],
              ],
              [
                [0, 0],
                [-1, 2],
              ],
            ]),
          ),
          [
            [0.5, 5.5],
            [0.5, -3.5],
          ],
        );
        expectClose(head.apply(tf.tensor2d([[1, 2]])), [0.5]);
      });
      expect([...head.namedVariables().keys()]).toEqual(['v.kernel', 'v.bias']);
      head.dispose();
    });
  });

  it('is deterministic for a seed, zero for initStd 0, and checks its input width', () => {
    const a = new ScalarHead({ inputSize: 4, seed: 3 });
    const b = new ScalarHead({ inputSize: 4, seed: 3 });
    const zero = new ScalarHead({ inputSize: 4, initStd: 0 });
    expect(a.namedVariables().get('score.kernel')!.dataSync()).toEqual(
      b.namedVariables().get('score.kernel')!.dataSync(),
    );
    expect(Array.from(zero.namedVariables().get('score.kernel')!.dataSync())).toEqual([0, 0, 0, 0]);
    expect(a.hasBias).toBe(false);
    const wrong = tf.zeros([2, 3]) as tf.Tensor2D;
    expect(() => a.apply(wrong)).toThrow(/hidden/);
    wrong.dispose();
    expect(() => new ScalarHead({ inputSize: 0 })).toThrow(/options.inputSize/);
    for (const head of [a, b, zero]) head.dispose();
  });
});
