import * as tf from '@tensorflow/tfjs-core';
import { DPOTSError } from '../errors/dpo-ts-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import type { NamedVariables } from '../surrogate/preference-scorer.js';
import type { TensorData } from './checkpoint-format.js';

/** Options of {@link restoreWeights}. */
export interface RestoreWeightsOptions {
  /**
   * Refuse weights that match no variable (a checkpoint of a bigger model). Variables without
   * weights are always refused.
   * @defaultValue true
   */
  readonly strict?: boolean;
  /** Where the weights came from (a checkpoint path), appended to error messages. */
  readonly source?: string;
}

/**
 * Assigns checkpoint weights to a model's variables by name, validating everything before
 * assigning anything, so a failed restore leaves the model as it was.
 *
 * @throws DPOTSError listing variables that have no weights (and, when `strict`, weights that
 *   have no variable).
 * @throws ShapeMismatchError naming the variable when a shape or dtype differs.
 */
export function restoreWeights(
  variables: NamedVariables,
  weights: ReadonlyMap<string, TensorData>,
  options: RestoreWeightsOptions = {},
): void {
  const { strict = true, source } = options;
  const from = source === undefined ? '' : ` (from ${source})`;
  const missing = [...variables.keys()].filter((name) => !weights.has(name));
  const unexpected = strict ? [...weights.keys()].filter((name) => !variables.has(name)) : [];
  if (missing.length > 0 || unexpected.length > 0) {
    const parts = [
      missing.length > 0 ? `no weights for variable${missing.length > 1 ? 's' : ''} ${quoteList(missing)}` : '',
      unexpected.length > 0 ? `weights with no variable: ${quoteList(unexpected)}` : '',
    ];
    throw new DPOTSError(`checkpoint weights do not match the model${from}: ${parts.filter(Boolean).join('; ')}`);
  }
  for (const [name, variable] of variables) {
    const data = weights.get(name)!;
    const size = data.shape.reduce((a, b) => a * b, 1);
    const sameShape =
      data.shape.length === variable.shape.length && data.shape.every((d, i) => d === variable.shape[i]);
    if (!sameShape || data.values.length !== size) {
      throw new ShapeMismatchError(`variable "${name}"`, variable.shape, data.shape, `checkpoint weight${from}`);
    }
    if (data.dtype !== variable.dtype) {
      throw new ShapeMismatchError(
        `variable "${name}"`,
        variable.shape,
        data.shape,
        `dtype differs: variable is ${variable.dtype}, checkpoint weight is ${data.dtype}${from}`,
      );
    }
  }
  for (const [name, variable] of variables) {
    const data = weights.get(name)!;
    // Copy: the cpu backend keeps the array it is given, and the caller still holds this one.
    tf.tidy(() => variable.assign(tf.tensor(data.values.slice(), variable.shape, data.dtype)));
  }
}

function quoteList(names: readonly string[]): string {
  const shown = names
    .slice(0, 8)
    .map((n) => `"${n}"`)
    .join(', ');
  return names.length > 8 ? `${shown} and ${names.length - 8} more` : shown;
}
