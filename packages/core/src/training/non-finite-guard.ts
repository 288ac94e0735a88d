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
