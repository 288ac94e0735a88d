import * as tf from '@tensorflow/tfjs-core';

/** Options for {@link checkGradient}. */
export interface GradientCheckOptions {
  /** Central-difference step. float32 arithmetic makes 1e-3..1e-2 the useful range. @defaultValue 1e-3 */
  readonly epsilon?: number;
  /** @defaultValue 1e-2 */
  readonly atol?: number;
  /** @defaultValue 1e-2 */
  readonly rtol?: number;
}

/** The analytic and numeric gradients {@link checkGradient} compared, flattened. */
export interface GradientCheckResult {
  /** The autodiff gradient, every input's partial derivatives flattened row-major, inputs in order. */
  readonly analytic: number[];
  /** The central finite-difference estimates, in the same order as `analytic`. */
  readonly numeric: number[];
  /** max_i |analytic[i] - numeric[i]|. */
  readonly maxAbsError: number;
}

/**
 * Compares the autodiff gradient of a scalar function with central finite differences,
 * (f(x + h e_i) - f(x - h e_i)) / 2h for every coordinate i of every input, and throws when
 * |analytic - numeric| > atol + rtol * |numeric| anywhere.
 *
 * `f` receives tensors and returns a scalar tensor; it runs inside tidy, so it may create
 * intermediates freely. Inputs are not disposed. No tensor survives the call.
 *
 * @returns both gradients, so tests can also assert on them directly.
 */
export function checkGradient(
  f: (...inputs: tf.Tensor[]) => tf.Scalar,
  inputs: readonly tf.Tensor[],
  options: GradientCheckOptions = {},
): GradientCheckResult {
  const { epsilon = 1e-3, atol = 1e-2, rtol = 1e-2 } = options;
  const analytic = tf
    .tidy(() =>
      tf
        .grads(f)(inputs as tf.Tensor[])
        .map((g) => Array.from(g.dataSync())),
    )
    .flat();
  const numeric: number[] = [];
  const bases = inputs.map((x) => Float64Array.from(x.dataSync()));
  const evaluate = (which: number, values: Float64Array): number =>
    tf.tidy(() => {
      const args = inputs.map((x, k) => (k === which ? tf.tensor(Float32Array.from(values), x.shape, 'float32') : x));
      return f(...args).dataSync()[0]!;
    });
  bases.forEach((base, which) => {
    for (let i = 0; i < base.length; i++) {
      const original = base[i]!;
      base[i] = original + epsilon;
      const plus = evaluate(which, base);
      base[i] = original - epsilon;
      const minus = evaluate(which, base);
      base[i] = original;
      // The inputs are float32: divide by the step float32 actually took, not by 2h.
      numeric.push((plus - minus) / (Math.fround(original + epsilon) - Math.fround(original - epsilon)));
    }
  });
  let maxAbsError = 0;
  const failures: string[] = [];
  analytic.forEach((a, i) => {
    const n = numeric[i]!;
    const err = Math.abs(a - n);
    maxAbsError = Math.max(maxAbsError, err);
    if (!(err <= atol + rtol * Math.abs(n))) failures.push(`[${i}] analytic ${a} numeric ${n}`);
  });
  if (failures.length > 0) {
    throw new Error(
      `checkGradient: ${failures.length} of ${analytic.length} partial derivatives differ beyond atol ${atol} + rtol ${rtol}:\n  ` +
        failures.slice(0, 8).join('\n  '),
    );
  }
  return { analytic, numeric, maxAbsError };
}
