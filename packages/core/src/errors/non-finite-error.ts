import { DPOTSError } from './dpo-ts-error.js';

/**
 * Training produced a NaN or infinite value (loss, gradient norm, a metric). Training stops
 * at the step that produced it; the last good checkpoint on disk is kept untouched.
 */
export class NonFiniteError extends DPOTSError {
  /** Which quantity went non-finite (`loss`, `grad_norm`, ...). */
  readonly quantity: string;
  /** Training step (0-based) at which it happened. */
  readonly step: number;
  readonly value: number;

  constructor(quantity: string, step: number, value: number, detail?: string) {
    super(`${quantity} must be finite: got ${value} at step ${step}${detail ? ` (${detail})` : ''}`);
    this.quantity = quantity;
    this.step = step;
    this.value = value;
  }
}
