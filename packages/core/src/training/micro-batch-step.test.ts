import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { NonFiniteError } from '../errors/non-finite-error.js';
import { expectNoLeak } from '../testing/expect-no-leak.js';
import { AdamWOptimizer } from './adamw-optimizer.js';
import { InProcessGradientEngine } from '../parallel/in-process-gradient-engine.js';
import type { LossAndMetrics } from '../parallel/parallel-task.js';
import { microBatchStep } from './micro-batch-step.js';

/** A micro-batch of the model y = w * x: inputs and targets. */
interface Batch {
  readonly x: number[];
  readonly y: number[];
}

/** loss = mean_i (w x_i - y_i)^2, metric mean_i |w x_i - y_i|, output the residuals. */
function makeLoss(w: tf.Variable): LossAndMetrics<Batch> {
  return (batch) => {
    const residuals = tf.sub(tf.mul(w, tf.tensor1d(batch.x)), tf.tensor1d(batch.y));
    return {
      loss: tf.mean(tf.square(residuals)) as tf.Scalar,
      metrics: { mae: tf.mean(tf.abs(residuals)) as tf.Scalar },
      outputs: { residuals },
    };
  };
}

function setup(): { w: tf.Variable; optimizer: AdamWOptimizer; variables: Map<string, tf.Variable> } {
  const w = tf.variable(tf.scalar(1), true, `micro-batch-step-${Math.random()}`);
  const variables = new Map([['w', w]]);
  return { w, optimizer: new AdamWOptimizer(variables, { weightDecay: 0 }), variables };
}

// By hand, at w = 1: batch A x [1, 2], y [2, 2] -> residuals [-1, 0], loss 0.5, mae 0.5,
// dL/dw = mean(2 r x) = (2*-1*1 + 0) / 2 = -1. Batch B x [3], y [0] -> residual [3], loss 9,
// mae 3, dL/dw = 2*3*3 = 18.
const A: Batch = { x: [1, 2], y: [2, 2] };
const B: Batch = { x: [3], y: [0] };

describe('microBatchStep', () => {
  it("averages gradients and metrics with 'mean', reads outputs in order, and applies AdamW", async () => {
    const { w, optimizer, variables } = setup();
    const seen: { index: number; residuals: number[] }[] = [];
    const result = await expectNoLeak(() =>
      microBatchStep({
        optimizer,
        variables,
        lossAndMetrics: makeLoss(w),
        microBatches: [A, B],
        reduction: 'mean',
        learningRate: 0.1,
        maxGradNorm: Infinity,
        stepIndex: 0,
        afterMicroBatch: (micro, index) => void seen.push({ index, residuals: Array.from(micro.outputs.residuals!) }),
      }),
    );
    expect(result.gradNorm).toBeCloseTo(8.5, 5); // |(-1 + 18) / 2|
    expect(result.metrics).toEqual({
      loss: (0.5 + 9) / 2,
      mae: (0.5 + 3) / 2,
      grad_norm: result.gradNorm,
      learning_rate: 0.1,
    });
    expect(seen).toEqual([
      { index: 0, residuals: [-1, 0] },
      { index: 1, residuals: [3] },
    ]);
    expect(result.microBatches.map((m) => m.loss)).toEqual([0.5, 9]);
    // Adam's first step moves the weight by about lr against the gradient's sign.
    expect((await w.data())[0]).toBeCloseTo(0.9, 5);
    expect((await optimizer.state()).moments.get('w')!.m[0]).toBeCloseTo(0.1 * 8.5, 5); // (1 - beta1) * g
    tf.dispose(w);
    optimizer.dispose();
  });

  it("sums gradients and losses with 'sum'", async () => {
    const { w, optimizer, variables } = setup();
    const result = await microBatchStep({
      optimizer,
      variables,
      lossAndMetrics: makeLoss(w),
      microBatches: [A, B],
      reduction: 'sum',
      learningRate: 0.1,
      maxGradNorm: Infinity,
      stepIndex: 0,
    });
    expect(result.gradNorm).toBeCloseTo(17, 5); // |-1 + 18|
    expect(result.metrics.loss).toBe(9.5);
    expect(result.metrics.mae).toBe(1.75);
    tf.dispose(w);
    optimizer.dispose();
  });

  it('lets a metric named loss replace the combined loss', async () => {
    const { w, optimizer, variables } = setup();
    const scaled: LossAndMetrics<Batch> = (batch, context) => {
      const { loss } = makeLoss(w)(batch, context);
      return { loss: tf.div(loss, 2) as tf.Scalar, metrics: { loss } };
    };
    const result = await microBatchStep({
      optimizer,
      variables,
      lossAndMetrics: scaled,
      microBatches: [A, B],
      reduction: 'sum',
      learningRate: 0.1,
      maxGradNorm: 1,
      stepIndex: 0,
    });
    expect(result.metrics.loss).toBe(4.75); // the mean of the unscaled losses, not the sum of the halves
    tf.dispose(w);
    optimizer.dispose();
  });

  it('refuses a non-finite loss before any weight changes, leaving no tensor behind', async () => {
    const { w, optimizer, variables } = setup();
    const run = () =>
      microBatchStep({
        optimizer,
        variables,
        lossAndMetrics: makeLoss(w),
        microBatches: [A, { x: [NaN], y: [0] }],
        reduction: 'mean',
        learningRate: 0.1,
        maxGradNorm: 1,
        stepIndex: 3,
      });
    await expectNoLeak(async () => {
      await expect(run()).rejects.toThrow(NonFiniteError);
      await expect(run()).rejects.toThrow(/loss.*step 3|step 3.*loss/);
    });
    expect((await w.data())[0]).toBe(1);
    expect(optimizer.step).toBe(0);
    tf.dispose(w);
    optimizer.dispose();
  });

  it('disposes everything when afterMicroBatch or lossAndMetrics throws', async () => {
    const { w, optimizer, variables } = setup();
    await expectNoLeak(async () => {
      const hook = () => {
        throw new Error('state update failed');
      };
      await expect(
        microBatchStep({
          optimizer,
          variables,
          lossAndMetrics: makeLoss(w),
          microBatches: [A],
          reduction: 'mean',
          learningRate: 0.1,
          maxGradNorm: 1,
          stepIndex: 0,
          afterMicroBatch: hook,
        }),
      ).rejects.toThrow('state update failed');
      const broken: LossAndMetrics<Batch> = () => {
        tf.scalar(1);
        throw new Error('bad batch');
      };
      await expect(
        microBatchStep({
          optimizer,
          variables,
          lossAndMetrics: broken,
          microBatches: [A],
          reduction: 'mean',
          learningRate: 0.1,
          maxGradNorm: 1,
          stepIndex: 0,
        }),
      ).rejects.toThrow('bad batch');
    });
    expect((await w.data())[0]).toBe(1);
    tf.dispose(w);
    optimizer.dispose();
  });

  it('computes through the engine it is given, passing step to every loss as context.step', async () => {
    const { w, optimizer, variables } = setup();
    // The engine's loss is makeLoss scaled by context.step.scale; the step's own loss must not run.
    const scaled: LossAndMetrics<Batch> = (batch, context) => {
      const { loss, metrics } = makeLoss(w)(batch, context);
      return { loss: tf.mul(loss, (context.step as { scale: number }).scale) as tf.Scalar, metrics };
    };
    const engine = new InProcessGradientEngine({ namedVariables: variables, lossAndMetrics: scaled });
    const unused: LossAndMetrics<Batch> = () => {
      throw new Error('the engine computes the gradients');
    };
    const result = await expectNoLeak(() =>
      microBatchStep({
        optimizer,
        variables,
        lossAndMetrics: unused,
        engine,
        step: { scale: 2 },
        microBatches: [A, B],
        reduction: 'sum',
        learningRate: 0.1,
        maxGradNorm: Infinity,
        stepIndex: 0,
      }),
    );
    expect(result.gradNorm).toBeCloseTo(34, 5); // 2 * |-1 + 18|
    expect(result.metrics.loss).toBe(19); // 2 * (0.5 + 9)
    tf.dispose(w);
    optimizer.dispose();
  });

  it('refuses an empty list of micro-batches, naming the argument', async () => {
    const { w, optimizer, variables } = setup();
    await expect(
      microBatchStep({
        optimizer,
        variables,
        lossAndMetrics: makeLoss(w),
        microBatches: [],
        reduction: 'mean',
        learningRate: 0.1,
        maxGradNorm: 1,
        stepIndex: 0,
      }),
    ).rejects.toThrow(/microBatches/);
    tf.dispose(w);
    optimizer.dispose();
  });
});
