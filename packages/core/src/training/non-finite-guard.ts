import * as tf from '@tensorflow/tfjs-core';
import { NonFiniteError } from '../errors/non-finite-error.js';

/**
 * Throws {@link NonFiniteError} naming `quantity` and `step` unless `value` is a finite number.
 *
 * Trainers call it on `grad_norm` before `optimizer.applyGradients`, so a NaN gradient never
 * reaches the weights; {@link runTrainingLoop} calls {@link assertFiniteMetrics} on what every
 * step returns.
 *
 * @param step - the 0-based step index, as {@link runTrainingLoop} numbers steps.
 * @example assertFinite('grad_norm', gradNorm, stepIndex);
 */
export function assertFinite(quantity: string, value: number, step: number, detail?: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new NonFiniteError(quantity, step, value, detail);
  }
}

/**
 * Checks every metric of a step (or only `keys`, when given) with {@link assertFinite}, in
 * the order `loss`, `grad_norm`, then the rest as listed, so the message names the root
 * quantity when several went NaN together.
 *
 * @param keys - metrics to check, every key of `metrics` when omitted; a listed key that is
 *   absent is not an error.
 */
export function assertFiniteMetrics(
  metrics: Readonly<Record<string, number>>,
  step: number,
  keys?: readonly string[],
): void {
  const checked = keys ?? Object.keys(metrics);
  const ordered = [
    ...['loss', 'grad_norm'].filter((key) => checked.includes(key)),
    ...checked.filter((key) => key !== 'loss' && key !== 'grad_norm'),
  ];
  for (const key of ordered) {
    if (!(key in metrics)) continue;
    assertFinite(key, metrics[key]!, step);
  }
}

/** The first non-finite element found by {@link findNonFiniteTensor}. */
export interface NonFiniteElement {
  /** The tensor's name, as keyed in the map searched. */
  readonly name: string;
  /** Row-major index of the first non-finite element. */
  readonly index: number;
  /** NaN, Infinity or -Infinity. */
  readonly value: number;
}

/**
 * Finds the first tensor (in map order) holding a NaN or an infinity, cheaply: each float
 * tensor is reduced on the device to sum(x * 0), which is 0 when every element is finite and
 * NaN otherwise (Inf * 0 = NaN), and the scalars are added into one, so the usual all-finite
 * case costs one reduction per tensor and a single 4-byte download. Only when that sum is NaN
 * are the tensors downloaded, one at a time, to name the first bad one. int32 and bool tensors
 * cannot hold non-finite values and are skipped.
 *
 * Tensors: reads `tensors`, disposes everything it creates.
 *
 * @returns the first non-finite element, or undefined when all are finite.
 */
export async function findNonFiniteTensor(
  tensors: ReadonlyMap<string, tf.Tensor>,
): Promise<NonFiniteElement | undefined> {
  const floats = [...tensors].filter(([, tensor]) => tensor.dtype === 'float32');
  if (floats.length === 0) return undefined;
  // One partial per tensor, each in its own tidy so the full-size x * 0 is freed at once.
  const partials = floats.map(([, tensor]) => tf.tidy(() => tf.sum(tf.mul(tensor, 0))));
  const total = tf.tidy(() => (partials.length === 1 ? tf.clone(partials[0]!) : tf.addN(partials)));
  tf.dispose(partials);
  const sum = (await total.data())[0]!;
  total.dispose();
  if (Number.isFinite(sum)) return undefined;
  for (const [name, tensor] of floats) {
    const values = await tensor.data();
    const index = values.findIndex((x) => !Number.isFinite(x));
    if (index >= 0) return { name, index, value: values[index]! };
  }
  return undefined;
}

/**
 * Throws {@link NonFiniteError} unless every value of `values` is finite (and, with
 * `nonNegative`, >= 0): the check of checkpoint tensors and optimiser state held as plain
 * arrays, on save and on load.
 *
 * @param quantity - names the array in the message, e.g. `weight "dense.kernel"`.
 * @param step - the step the values belong to.
 */
export function assertFiniteValues(
  quantity: string,
  values: ArrayLike<number>,
  step: number,
  detail?: string,
  nonNegative = false,
): void {
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (!Number.isFinite(x) || (nonNegative && x < 0)) {
      const what = Number.isFinite(x) ? `a negative value ${x} (a second moment is never negative)` : String(x);
      throw new NonFiniteError(quantity, step, x, `element ${i} is ${what}${detail ? `; ${detail}` : ''}`);
    }
  }
}
