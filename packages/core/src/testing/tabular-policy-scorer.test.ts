import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose } from './expect-close.js';
import { expectNoLeak } from './expect-no-leak.js';
import { TabularPolicyScorer } from './tabular-policy-scorer.js';

describe('TabularPolicyScorer', () => {
  it('scores log softmax entries, hand-computed', async () => {
    const scorer = new TabularPolicyScorer([
      [0, Math.log(3)],
      [1, 1],
    ]);
    await expectNoLeak(() => {
      const scores = scorer.score({ conditions: [0, 0, 1], chosen: [1, 0, 0], rejected: [0, 1, 1] });
      // Row 0: p = [1/4, 3/4]; row 1: [1/2, 1/2].
      expectClose(scores.chosen, [Math.log(0.75), Math.log(0.25), Math.log(0.5)]);
      expectClose(scores.rejected, [Math.log(0.25), Math.log(0.75), Math.log(0.5)]);
      tf.dispose([scores.chosen, scores.rejected]);
    });
    scorer.dispose();
  });

  it('is differentiable in its logits and frozen when not trainable', () => {
    const scorer = new TabularPolicyScorer([[0, 0, 0]], 'tabular-grad');
    const { grads, value } = tf.variableGrads(
      () => tf.sum(scorer.score({ conditions: [0], chosen: [2], rejected: [0] }).chosen) as tf.Scalar,
    );
    // d/dz log softmax(z)[2] = onehot(2) - softmax(z) = [-1/3, -1/3, 2/3].
    expectClose(grads[scorer.logits.name]!, [[-1 / 3, -1 / 3, 2 / 3]]);
    tf.dispose([value, ...Object.values(grads)]);
    const frozen = new TabularPolicyScorer([[0, 0]], 'tabular-frozen', false);
    expect(frozen.trainableVariables()).toEqual([]);
    expect([...frozen.namedVariables().keys()]).toEqual(['logits']);
    expect(frozen.logits.name).toBe('tabular-frozen.logits');
    scorer.dispose();
    frozen.dispose();
  });

  it('holds exactly one tensor, its logits, from construction to dispose', () => {
    const before = tf.memory().numTensors;
    const scorer = new TabularPolicyScorer([[0, 1, 2]], 'tabular-count');
    expect(tf.memory().numTensors).toBe(before + 1);
    scorer.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects ragged tables and mismatched batches', () => {
    expect(() => new TabularPolicyScorer([[0, 0], [0]], 'bad')).toThrow(
      'initialLogits[1].length must be 2 (as row 0): got 1',
    );
    const scorer = new TabularPolicyScorer([[0, 0]], 'tabular-batch');
    expect(() => scorer.score({ conditions: [0, 0], chosen: [1], rejected: [0, 1] })).toThrow(
      'batch must be chosen and rejected of length 2',
    );
    scorer.dispose();
  });
});
