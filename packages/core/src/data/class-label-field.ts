import type { FieldCodec, FieldParseResult } from './field-codec.js';
import { fieldFailure, fieldOk } from './field-codec.js';
import { requireInteger } from '../errors/validate.js';

/** Options of {@link classLabelField}. */
export interface ClassLabelFieldOptions {
  /**
   * Number of classes; labels must lie in [0, numClasses). Omitted: any integer >= 0.
   * @defaultValue undefined
   */
  readonly numClasses?: number;
}

/**
 * An integer class label as the condition, for class-conditional models
 * (`{"prompt": 7, "chosen": "img/7a.png", "rejected": "img/7b.png"}`).
 *
 * Only JSON integers are accepted: `"7"` and `7.5` are rejected, so a label column exported as
 * strings is caught at load time rather than silently converted.
 *
 * @throws InvalidArgumentError when `numClasses` is not an integer >= 1.
 * @example
 * const schema: PreferenceSchema<number, ImageReference> = {
 *   prompt: classLabelField({ numClasses: 10 }),
 *   response: imageField(),
 * };
 */
export function classLabelField(options: ClassLabelFieldOptions = {}): FieldCodec<number> {
  const numClasses =
    options.numClasses === undefined ? undefined : requireInteger('numClasses', options.numClasses, { min: 1 });
  const expected =
    numClasses === undefined ? 'an integer class label >= 0' : `an integer class label in [0, ${numClasses})`;
  return {
    expected,
    parse(value): FieldParseResult<number> {
      const ok =
        typeof value === 'number' &&
        Number.isSafeInteger(value) &&
        value >= 0 &&
        (numClasses === undefined || value < numClasses);
      return ok ? fieldOk(value) : fieldFailure(expected, value);
    },
    serialize: (value) => value,
  };
}
