import type { FieldCodec, FieldParseResult } from './field-codec.js';
import { fieldFailure, fieldOk } from './field-codec.js';

/** Options of {@link textField}. */
export interface TextFieldOptions {
  /**
   * Whether `""` is accepted. Empty completions are legal in TRL and are an edge case the
   * losses must handle, so responses accept them; {@link TEXT_PREFERENCE_SCHEMA} refuses an
   * empty prompt, which is far more often an extraction bug than unconditional data.
   * @defaultValue true
   */
  readonly allowEmpty?: boolean;
}

/**
 * A plain string field: TRL's standard format (`"prompt": "What is 2+2?"`).
 *
 * Strings are kept exactly as written (no trimming, no normalisation): tokenisation decides
 * what whitespace means. A list of `{role, content}` messages is rejected with a hint to use
 * {@link conversationalField}.
 *
 * @example
 * const schema: PreferenceSchema = { prompt: textField({ allowEmpty: false }), response: textField() };
 */
export function textField(options: TextFieldOptions = {}): FieldCodec<string> {
  const allowEmpty = options.allowEmpty ?? true;
  const expected = allowEmpty ? 'a string' : 'a non-empty string';
  return {
    expected,
    parse(value): FieldParseResult<string> {
      if (typeof value === 'string' && (allowEmpty || value.length > 0)) return fieldOk(value);
      const looksConversational =
        Array.isArray(value) &&
        value.length > 0 &&
        typeof value[0] === 'object' &&
        value[0] !== null &&
        'role' in value[0];
      const hint = "looks like TRL's conversational format: use conversationalField()";
      return fieldFailure(expected, value, looksConversational ? { detail: hint } : {});
    },
    serialize: (value) => value,
  };
}
