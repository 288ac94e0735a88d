import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { DPOTSError } from '../errors/dpo-ts-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { expectClose } from '../testing/expect-close.js';
import { expectNoLeak } from '../testing/expect-no-leak.js';
import { AdamWOptimizer } from './adamw-optimizer.js';

/**
 * PyTorch's torch.optim.AdamW (`_single_tensor_adamw`, amsgrad=False) in float64, written from
 * the documented algorithm:
 *   param.mul_(1 - lr * weight_decay)
 *   exp_avg.lerp_(grad, 1 - beta1); exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
 *   step_size = lr / (1 - beta1^t); denom = sqrt(exp_avg_sq) / sqrt(1 - beta2^t) + eps
 *   param.addcdiv_(exp_avg, denom, value=-step_size)
 */
class ReferenceAdamW {
  private t = 0;
  private readonly m: number[];
  private readonly v: number[];
  constructor(
    readonly param: number[],
    private readonly hyper: { beta1: number; beta2: number; eps: number; weightDecay: number },
  ) {
    this.m = param.map(() => 0);
    this.v = param.map(() => 0);
  }
  step(grad: readonly number[], lr: number): void {
    const { beta1, beta2, eps, weightDecay } = this.hyper;
    this.t += 1;
    const bc1 = 1 - beta1 ** this.t;
    const bc2 = 1 - beta2 ** this.t;
    for (let i = 0; i < this.param.length; i++) {
      const g = grad[i]!;
      this.param[i]! *= 1 - lr * weightDecay;
      this.m[i] = this.m[i]! + (1 - beta1) * (g - this.m[i]!);
      this.v[i] = beta2 * this.v[i]! + (1 - beta2) * g * g;
      const denom = Math.sqrt(this.v[i]!) / Math.sqrt(bc2) + eps;
      this.param[i]! -= (lr / bc1) * (this.m[i]! / denom);
    }
  }
}

const created: tf.Variable[] = [];
function variable(values: number[], shape: number[]): tf.Variable {
  const v = tf.variable(tf.tensor(values, shape), true);
  created.push(v);
  return v;
}
afterEach(() => {
  created.splice(0).forEach((v) => {
    v.dispose();
  });
});

/** Gradients that change sign and scale from step to step. */
function gradientAt(step: number, size: number, offset: number): number[] {
  return Array.from({ length: size }, (_, i) => Math.sin(1.7 * step + 0.9 * i + offset) * (1 + 0.3 * i));
}

describe('AdamWOptimizer', () => {
  it('matches a float64 PyTorch AdamW over one and several steps, with a changing lr', async () => {
    const hyper = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 };
    const wInit = [0.5, -1.25, 2, 0.03, -0.7, 1.1];
    const w = variable(wInit, [2, 3]);
    const reference = new ReferenceAdamW(wInit.slice(), hyper);
    const optimizer = new AdamWOptimizer(new Map([['w', w]]), { ...hyper, epsilon: hyper.eps });
    const lrs = [1e-2, 3e-2, 2e-2, 5e-3, 1e-2, 0];
    for (const [step, lr] of lrs.entries()) {
      const grad = gradientAt(step, 6, 0);
      await expectNoLeak(() => {
        const g = tf.tensor(grad, [2, 3]);
        optimizer.applyGradients(new Map([['w', g]]), lr);
        g.dispose();
      });
      reference.step(grad, lr);
      expectClose(w, reference.param, { atol: 1e-6, rtol: 1e-5 });
      if (step === 0) {
        // First step: m_hat / sqrt(v_hat) = sign(g), so each weight moves by lr (plus decay).
        expectClose(
          w,
          wInit.map((x, i) => x * (1 - 1e-2 * 0.1) - 1e-2 * Math.sign(grad[i]!)),
          { atol: 1e-6 },
        );
      }
    }
    expect(optimizer.step).toBe(lrs.length);
    optimizer.dispose();
  });

  it('uses the PyTorch defaults and the configured learning rate when none is passed', () => {
    const w = variable([1, -2], [2]);
    const optimizer = new AdamWOptimizer(new Map([['w', w]]));
    expect([
      optimizer.learningRate,
      optimizer.beta1,
      optimizer.beta2,
      optimizer.epsilon,
      optimizer.weightDecay,
    ]).toEqual([1e-3, 0.9, 0.999, 1e-8, 0.01]);
    const g = tf.tensor([0.5, 0.5]);
    optimizer.applyGradients(new Map([['w', g]]));
    g.dispose();
    const reference = new ReferenceAdamW([1, -2], { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
    reference.step([0.5, 0.5], 1e-3);
    expectClose(w, reference.param, { atol: 1e-7 });
    optimizer.dispose();
  });

  it('excludes variables from weight decay by name, and skips variables without a gradient', () => {
    const hyper = { beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.5 };
    const kernel = variable([1, 2, 3], [3]);
    const bias = variable([4], [1]);
    const frozen = variable([7, 8], [2]);
    const optimizer = new AdamWOptimizer(
      new Map([
        ['layer.kernel', kernel],
        ['layer.bias', bias],
        ['other', frozen],
      ]),
      { ...hyper, epsilon: hyper.eps, excludeFromWeightDecay: (name) => name.endsWith('.bias') },
    );
    expect(optimizer.isDecayed('layer.kernel')).toBe(true);
    expect(optimizer.isDecayed('layer.bias')).toBe(false);
    const refKernel = new ReferenceAdamW([1, 2, 3], hyper);
    const refBias = new ReferenceAdamW([4], { ...hyper, weightDecay: 0 });
    for (let step = 0; step < 3; step++) {
      const gk = gradientAt(step, 3, 1);
      const gb = gradientAt(step, 1, 2);
      const grads = new Map([
        ['layer.kernel', tf.tensor(gk)],
        ['layer.bias', tf.tensor(gb)],
      ]);
      optimizer.applyGradients(grads, 0.1);
      tf.dispose([...grads.values()]);
      refKernel.step(gk, 0.1);
      refBias.step(gb, 0.1);
    }
    expectClose(kernel, refKernel.param, { atol: 1e-6, rtol: 1e-5 });
    expectClose(bias, refBias.param, { atol: 1e-6, rtol: 1e-5 });
    expectClose(frozen, [7, 8], { atol: 0, rtol: 0 }); // no gradient: no decay, no update
    optimizer.dispose();
  });

  it('round-trips its state: a restored optimiser continues bit-identically', async () => {
    const make = (): { w: tf.Variable; b: tf.Variable; optimizer: AdamWOptimizer } => {
      const w = variable([0.1, 0.2, 0.3, 0.4], [2, 2]);
      const b = variable([0], [1]);
      return {
        w,
        b,
        optimizer: new AdamWOptimizer(
          new Map([
            ['w', w],
            ['b', b],
          ]),
          { weightDecay: 0.05 },
        ),
      };
    };
    const stepOnce = (run: ReturnType<typeof make>, step: number, withBias = true): void => {
      const grads: Map<string, tf.Tensor> = new Map([['w', tf.tensor(gradientAt(step, 4, 0), [2, 2])]]);
      if (withBias) grads.set('b', tf.tensor(gradientAt(step, 1, 3)));
      run.optimizer.applyGradients(grads, 0.01 * (step + 1));
      tf.dispose([...grads.values()]);
    };
    const a = make();
    for (let s = 0; s < 3; s++) stepOnce(a, s, s !== 1); // b skips step 1: its own step count is 2
    const state = await expectNoLeak(() => a.optimizer.state());
    expect(state.step).toBe(3);
    expect(state.moments.get('b')!.step).toBe(2);

    const b = make();
    await expectNoLeak(async () => {
      const wData = await a.w.data();
      const bData = await a.b.data();
      tf.tidy(() => {
        b.w.assign(tf.tensor(wData, [2, 2]));
        b.b.assign(tf.tensor(bData, [1]));
      });
      b.optimizer.loadState(state);
    }, 0);
    for (let s = 3; s < 6; s++) {
      stepOnce(a, s);
      stepOnce(b, s);
    }
    expect(Array.from(await b.w.data())).toEqual(Array.from(await a.w.data()));
    expect(Array.from(await b.b.data())).toEqual(Array.from(await a.b.data()));
    expect(b.optimizer.step).toBe(6);
    a.optimizer.dispose();
    b.optimizer.dispose();
  });

  it('validates gradients and loaded state with clear errors', async () => {
    const w = variable([1, 2], [2]);
    const optimizer = new AdamWOptimizer(new Map([['w', w]]));
    const bad = tf.zeros([3]);
    expect(() => optimizer.applyGradients(new Map([['w', bad]]), 0.1)).toThrow(ShapeMismatchError);
    expect(() => optimizer.applyGradients(new Map([['nope', bad]]), 0.1)).toThrow('gradients must be a name of one of');
    bad.dispose();
    expect(optimizer.step).toBe(0);
    const state = await optimizer.state();
    const m = new Float32Array(3);
    expect(() =>
      optimizer.loadState({ ...state, moments: new Map([['w', { step: 1, shape: [3], m, v: m }]]) }),
    ).toThrow('optimizer state for "w" must have shape [2]: got [3]');
    expect(() => optimizer.loadState({ ...state, moments: new Map([['x', state.moments.get('w')!]]) })).toThrow(
      'missing "w"; unexpected "x"',
    );
    expect(() => new AdamWOptimizer(new Map([['w', w]]), { beta1: 1 })).toThrow(
      'beta1 must be a finite number >= 0 and < 1: got 1',
    );
    // 1e39 is a finite double but Infinity as float32: refused, naming the argument.
    expect(() => new AdamWOptimizer(new Map([['w', w]]), { learningRate: 1e39 })).toThrow(
      'learningRate must be a finite number >= 0 and <= 1000: got 1e+39',
    );
    expect(() => optimizer.applyGradients(new Map(), 1e39)).toThrow(
      'learningRate must be a finite number >= 0 and <= 1000: got 1e+39',
    );
    // A flipped sign bit in v (0.25 -> -0.25) would make sqrt(v) NaN at the next update.
    const one = (m: number[], v: number[], step = 1) => ({
      ...state,
      step: 1,
      moments: new Map([['w', { step, shape: [2], m: new Float32Array(m), v: new Float32Array(v) }]]),
    });
    expect(() => optimizer.loadState(one([0.1, 0.1], [0.25, -0.25]))).toThrow(
      'optimizer state v of "w" must be finite: got -0.25 at step 1 (element 1 is a negative value -0.25 (a second moment is never negative); refusing to load it)',
    );
    expect(() => optimizer.loadState(one([NaN, 0.1], [0.25, 0.25]))).toThrow(
      'optimizer state m of "w" must be finite: got NaN at step 1 (element 0 is NaN',
    );
    expect(() => optimizer.loadState(one([0.1, 0.1], [0.25, 0.25], 2))).toThrow(
      'state.moments.get("w").step must be an integer >= 0 and <= 1: got 2',
    );
    expect(Array.from((await optimizer.state()).moments.get('w')!.v)).toEqual([0, 0]); // nothing was loaded
    optimizer.loadState(one([0.1, 0.1], [0.25, 0.25]));
    expect(await optimizer.findNonFinite()).toBeUndefined();
    optimizer.dispose();
    expect(() => optimizer.applyGradients(new Map(), 0.1)).toThrow(DPOTSError);
  });

  it('owns exactly its moments: construction adds two tensors per variable, dispose frees them', async () => {
    const w = variable([1, 2], [2]);
    const b = variable([3], [1]);
    const before = tf.memory().numTensors;
    const optimizer = new AdamWOptimizer(
      new Map([
        ['w', w],
        ['b', b],
      ]),
    );
    expect(tf.memory().numTensors - before).toBe(4);
    const grads = new Map([
      ['w', tf.ones([2])],
      ['b', tf.ones([1])],
    ]);
    await expectNoLeak(() => {
      for (let i = 0; i < 3; i++) optimizer.applyGradients(grads, 0.1);
    });
    tf.dispose([...grads.values()]);
    optimizer.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
