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
  /** The offending value: NaN, Infinity or -Infinity. */
  readonly value: number;

  /**
   * Builds the message `<quantity> must be finite: got <value> at step <step>` (`(<detail>)` appended).
   * @param quantity - what went non-finite (`loss`, `grad_norm`, a tensor's name).
   * @param step - 0-based training step.
   * @param value - the non-finite value.
   * @param detail - optional context, e.g. the element's index.
   */
  constructor(quantity: string, step: number, value: number, detail?: string) {
    super(`${quantity} must be finite: got ${value} at step ${step}${detail ? ` (${detail})` : ''}`);
    this.quantity = quantity;
    this.step = step;
    this.value = value;
  }
}
