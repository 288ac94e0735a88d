import { describeValue } from './describe-value.js';
import { DPOTSError } from './dpo-ts-error.js';

/**
 * An argument or configuration field has a value outside what the function accepts.
 *
 * The message always names the argument, what was expected and what was received:
 * `beta must be a finite number >= 0: got -1`.
 */
export class InvalidArgumentError extends DPOTSError {
  /** Name of the offending argument, with a path for nested fields (`config.lossWeights`). */
  readonly argument: string;
  /** What the function accepts, in words. */
  readonly expected: string;
  /** The value that was received. */
  readonly actual: unknown;

  /**
   * Builds the message `<argument> must be <expected>: got <actual>` (`(<detail>)` appended).
   * @param argument - the argument's name, with its path for a nested field.
   * @param expected - what is accepted, in words that follow "must be".
   * @param actual - the received value; the message shows it through `describeValue`.
   * @param detail - an optional hint, e.g. the new spelling of a renamed value.
   */
  constructor(argument: string, expected: string, actual: unknown, detail?: string) {
    super(`${argument} must be ${expected}: got ${describeValue(actual)}${detail ? ` (${detail})` : ''}`);
    this.argument = argument;
    this.expected = expected;
    this.actual = actual;
  }
}
