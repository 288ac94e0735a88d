import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { NonFiniteError } from '../errors/non-finite-error.js';
import { expectClose } from '../testing/expect-close.js';
import { expectNoLeak } from '../testing/expect-no-leak.js';
import { AdamWOptimizer, type AdamWState } from './adamw-optimizer.js';
import { applyFusedGradientStep, hostGradientSumOf } from './apply-fused-gradient-step.js';
import { applyGradientStep } from './apply-gradient-step.js';

const created: tf.Variable[] = [];
const optimizers: AdamWOptimizer[] = [];
afterEach(() => {
  tf.dispose(created.splice(0));
  for (const optimizer of optimizers.splice(0)) optimizer.dispose();
});

const W0 = [0.5, -1.25, 2, 0.03, -0.7, 1.1];
const B0 = [0.2, -0.4, 0.05];
const HYPER = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1 };

/** w [2, 3] decayed, b [3] excluded from decay, as trainers exclude biases. */
function model(): { variables: Map<string, tf.Variable>; optimizer: AdamWOptimizer } {
  const w = tf.variable(tf.tensor(W0, [2, 3]), true);
  const b = tf.variable(tf.tensor(B0, [3]), true);
  created.push(w, b);
  const variables = new Map([
    ['w', w],
    ['b', b],
  ]);
  const optimizer = new AdamWOptimizer(variables, { ...HYPER, excludeFromWeightDecay: (name) => name === 'b' });
  optimizers.push(optimizer);
  return { variables, optimizer };
}

/**
 * Step k's gradients: large enough that clipping to 1 is active; step 2 holds a NaN (skipped:
 * the step throws before any change); step 4 has no gradient for b (b is left alone).
 */
function gradientsAt(step: number): Map<string, number[]> {
  const w = W0.map((_, i) => 3 * Math.sin(1.7 * step + 0.9 * i));
  const b = B0.map((_, i) => 2 * Math.cos(0.8 * step + 1.3 * i));
  if (step === 2) w[4] = Number.NaN;
  return new Map(
    step === 4
      ? [['w', w]]
      : [
          ['w', w],
          ['b', b],
        ],
  );
}

/** float32 rounding of values of order 1, over a few steps. */
const TOLERANCE = { atol: 1e-6, rtol: 1e-5 };

const LEARNING_RATES = [1e-2, 3e-2, 2e-2, 5e-3, 1e-2, 2e-2, 1e-2];

type Apply = (
  optimizer: AdamWOptimizer,
  variables: Map<string, tf.Variable>,
  grads: Map<string, tf.Tensor>,
  step: number,
) => Promise<number>;

const tensorPath: Apply = (optimizer, _variables, grads, step) =>
  applyGradientStep(optimizer, grads, { maxGradNorm: 1, learningRate: LEARNING_RATES[step]!, stepIndex: step });

const fusedPath: Apply = async (optimizer, variables, grads, step) => {
  const sum = await hostGradientSumOf(optimizer, variables, grads);
  return applyFusedGradientStep(optimizer, sum, variables, {
    maxGradNorm: 1,
    learningRate: LEARNING_RATES[step]!,
    stepIndex: step,
  });
};

/** Runs steps [from, to) with `apply`; returns each step's norm (NaN for a skipped step) and weights. */
async function run(
  apply: Apply,
  { variables, optimizer }: ReturnType<typeof model>,
  from = 0,
  to = LEARNING_RATES.length,
): Promise<{ norms: number[]; weights: number[][] }> {
  const norms: number[] = [];
  const weights: number[][] = [];
  for (let step = from; step < to; step++) {
    const values = gradientsAt(step);
    const grads = new Map([...values].map(([name, g]) => [name, tf.tensor(g, variables.get(name)!.shape)]));
    try {
      norms.push(await expectNoLeak(() => apply(optimizer, variables, grads, step)));
    } catch (error) {
      expect(error).toBeInstanceOf(NonFiniteError);
      expect((error as NonFiniteError).quantity).toBe('grad_norm');
      norms.push(Number.NaN);
    } finally {
      tf.dispose([...grads.values()]);
    }
    weights.push([...(await variables.get('w')!.data()), ...(await variables.get('b')!.data())]);
  }
  return { norms, weights };
}

function expectStatesClose(actual: AdamWState, expected: AdamWState): void {
  expect(actual.step).toBe(expected.step);
  for (const [name, moments] of expected.moments) {
    const other = actual.moments.get(name)!;
    expect(other.step).toBe(moments.step);
    expect(other.shape).toEqual(moments.shape);
    for (const key of ['m', 'v'] as const) expectClose(other[key], moments[key], TOLERANCE);
  }
}

describe('applyFusedGradientStep', () => {
  it('matches the tensor path over several steps with clipping, decay, a skipped NaN step and a missing gradient', async () => {
    const tensor = model();
    const fused = model();
    const expected = await run(tensorPath, tensor);
    const actual = await run(fusedPath, fused);
    expect(Number.isNaN(actual.norms[2]!)).toBe(true);
    actual.norms.forEach((norm, step) => {
      if (step !== 2) {
        expect(norm).toBeGreaterThan(1); // clipping was active
        expect(norm).toBeCloseTo(expected.norms[step]!, 5);
      }
    });
    expectClose(actual.weights, expected.weights, TOLERANCE);
    // The NaN step changed nothing, and step 4 left b alone.
    expect(actual.weights[2]).toEqual(actual.weights[1]);
    expect(actual.weights[4]!.slice(6)).toEqual(actual.weights[3]!.slice(6));
    const state = await fused.optimizer.state();
    expect(state.step).toBe(6);
    expect(state.moments.get('b')!.step).toBe(5);
    expectStatesClose(state, await tensor.optimizer.state());
  });

  it('takes its first step by hand: clipped Adam moves each weight by lr against its gradient, after decay', async () => {
    const fused = model();
    const { norms, weights } = await run(fusedPath, fused, 0, 1);
    const grads = gradientsAt(0);
    const all = [...grads.get('w')!, ...grads.get('b')!];
    expect(norms[0]).toBeCloseTo(Math.hypot(...all), 5);
    // m_hat / sqrt(v_hat) = sign(g) at t = 1 (clipping scales g, not its sign); eps is negligible.
    const lr = LEARNING_RATES[0]!;
    const expected = [
      ...W0.map((w, i) => w * (1 - lr * HYPER.weightDecay) - lr * Math.sign(grads.get('w')![i]!)),
      ...B0.map((b, i) => b - lr * Math.sign(grads.get('b')![i]!)),
    ];
    expectClose(weights[0]!, expected, TOLERANCE);
  });

  it('is bit for bit deterministic, and its state resumes on the tensor path as if never moved', async () => {
    const first = model();
    const second = model();
    const a = await run(fusedPath, first);
    const b = await run(fusedPath, second);
    expect(b).toEqual(a);
    // Fused for 3 steps, checkpointed (state), loaded into a fresh optimiser, tensor path after:
    // the same as the tensor path all along, to float32 rounding.
    const moved = model();
    await run(fusedPath, moved, 0, 3);
    const resumed = model();
    for (const [name, variable] of moved.variables) resumed.variables.get(name)!.assign(variable);
    resumed.optimizer.loadState(await moved.optimizer.state());
    const continued = await run(tensorPath, resumed, 3);
    const reference = await run(tensorPath, model());
    expectClose(continued.weights, reference.weights.slice(3), TOLERANCE);
    // And the moved optimiser itself can go back to the tensor path (its moments come back).
    const back = await run(tensorPath, moved, 3);
    expectClose(back.weights, continued.weights, TOLERANCE);
  });

  it('stops with NonFiniteError naming the variable when an update overflows', async () => {
    const fused = model();
    const grads = new Map([
      [
        'w',
        tf.tensor(
          W0.map(() => 1),
          [2, 3],
        ),
      ],
    ]);
    tf.tidy(() => fused.variables.get('w')!.assign(tf.fill([2, 3], 3.4e38)));
    const sum = await hostGradientSumOf(fused.optimizer, fused.variables, grads);
    // With lr = 1000 the decay factor is 1 - 1000 * 0.1 = -99: 3.4e38 * -99 = -3.4e40, beyond float32.
    await expect(
      applyFusedGradientStep(fused.optimizer, sum, fused.variables, {
        maxGradNorm: 1,
        learningRate: 1000,
        stepIndex: 7,
      }),
    ).rejects.toMatchObject({ quantity: 'variable "w"', step: 7 });
    tf.dispose([...grads.values()]);
  });
});
