import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { createPreferenceLossState } from '../losses/preference-loss-state.js';
import { resolvePreferenceLossConfig } from '../losses/preference-loss-config.js';
import { computeNamedGradients } from '../training/named-gradients.js';
import { expectNoLeak } from '../testing/expect-no-leak.js';
import { TabularPolicyScorer, type TabularPreferenceBatch } from '../testing/tabular-policy-scorer.js';
import { readPairScores } from './host-pair-scores.js';
import {
  preferenceMicroBatchLoss,
  REFERENCE_ON_REPLICA,
  REFERENCE_OUTPUT_PREFIX,
  referenceFromOutputs,
} from './preference-micro-batch-loss.js';

const BATCH: TabularPreferenceBatch = { conditions: [0, 0, 0], chosen: [0, 1, 2], rejected: [2, 0, 1] };
const CONTEXT = { stepIndex: 0, microBatchIndex: 0, microBatchCount: 1, step: null };
const LOSS = resolvePreferenceLossConfig({ beta: 0.5 });

describe('preferenceMicroBatchLoss with a reference replica', () => {
  const policy = new TabularPolicyScorer([[0.4, -0.1, 0.2]], 'policy');
  const reference = new TabularPolicyScorer([[0.1, 0.3, -0.5]], 'reference', false);
  afterAll(() => {
    policy.dispose();
    reference.dispose();
  });
  const state = () => createPreferenceLossState();
  const run = (batch: Parameters<ReturnType<typeof preferenceMicroBatchLoss<TabularPreferenceBatch>>>[0]) => {
    const lossAndMetrics = preferenceMicroBatchLoss(policy, LOSS, state, reference);
    const outputs: Record<string, Float32Array> = {};
    const { value, grads } = computeNamedGradients(() => {
      const output = lossAndMetrics(batch, CONTEXT);
      for (const [name, t] of Object.entries(output.outputs ?? {})) outputs[name] = Float32Array.from(t.dataSync());
      return output.loss;
    }, policy.namedVariables());
    const result = { loss: value.dataSync()[0]!, grad: Array.from(grads.get('logits')!.dataSync()), outputs };
    tf.dispose([value, ...grads.values()]);
    return result;
  };

  it('scores the reference on the replica: the loss, gradient and reference scores of host scores', async () => {
    const scores = reference.score(BATCH);
    const host = await readPairScores(scores);
    tf.dispose([scores.chosen, scores.rejected]);
    const onHost = run({ batch: BATCH, reference: host });
    const onReplica = await expectNoLeak(() => run({ batch: BATCH, reference: REFERENCE_ON_REPLICA }));
    expect(onReplica.loss).toBe(onHost.loss);
    expect(onReplica.grad).toEqual(onHost.grad);
    // Independently: reference log-softmax of [0.1, 0.3, -0.5] at the chosen responses 0, 1, 2.
    const logZ = Math.log(Math.exp(0.1) + Math.exp(0.3) + Math.exp(-0.5));
    const expected = [0.1 - logZ, 0.3 - logZ, -0.5 - logZ];
    const back = referenceFromOutputs(onReplica.outputs);
    for (const [i, value] of expected.entries()) expect(back.chosen[i]).toBeCloseTo(value, 5);
    expect(Array.from(back.rejected)).toEqual(Array.from(host!.rejected));
    expect(Object.keys(onHost.outputs).some((name) => name.startsWith(REFERENCE_OUTPUT_PREFIX))).toBe(false);
  });

  it('refuses a replica micro-batch without a reference replica, and outputs without reference scores', () => {
    const lossAndMetrics = preferenceMicroBatchLoss(policy, LOSS, state);
    expect(() =>
      tf.tidy(() => lossAndMetrics({ batch: BATCH, reference: REFERENCE_ON_REPLICA }, CONTEXT).loss),
    ).toThrow('micro-batch reference must be host scores or null where the task has no reference replica');
    expect(() => referenceFromOutputs({ chosenRewards: new Float32Array(3) })).toThrow(
      `outputs must be reference scores under ${REFERENCE_OUTPUT_PREFIX}`,
    );
  });
});
