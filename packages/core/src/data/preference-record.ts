import type { FieldCodec, RecordLocation } from './field-codec.js';
import { decodeField, encodeField, extraFields, mergeExtraFields, requireFieldCodec } from './field-codec.js';
import type { JsonlWriteContext } from './jsonl-writer.js';
import type { ChatMessage } from './conversational-field.js';
import { conversationalField } from './conversational-field.js';
import { textField } from './text-field.js';

/**
 * One preference pair in TRL's standard format: a condition and two responses, the first
 * preferred. `TCondition` and `TResponse` are generic so every modality fits: text prompt and
 * completions, chat messages, a class label and image references.
 *
 * JSONL: `{"prompt": "2+2?", "chosen": "4", "rejected": "5", "margin": 0.8}`.
 * Fields besides the three named ones (`margin`, `score_chosen`, `id`, ...) are kept in
 * `extra` exactly as read, and written back after them.
 */
export interface PreferenceRecord<TCondition = string, TResponse = string> {
  /** The condition both responses answer (TRL's `prompt`). */
  readonly prompt: TCondition;
  /** The preferred response. */
  readonly chosen: TResponse;
  /** The dispreferred response. */
  readonly rejected: TResponse;
  /** Every other field of the JSON object, unchanged. */
  readonly extra: Readonly<Record<string, unknown>>;
}

/**
 * What the writers accept: a {@link PreferenceRecord} whose `extra` may be left out
 * (freshly sampled pairs have none).
 */
export type PreferenceRecordInput<TCondition = string, TResponse = string> = Omit<
  PreferenceRecord<TCondition, TResponse>,
  'extra'
> & {
  /** Fields written after `prompt`, `chosen` and `rejected`, in their order; none when absent. */
  readonly extra?: Readonly<Record<string, unknown>>;
};

/**
 * How the fields of a {@link PreferenceRecord} are validated and converted: one codec for
 * the prompt, one shared by `chosen` and `rejected`.
 */
export interface PreferenceSchema<TCondition = string, TResponse = string> {
  /** Codec of the `prompt` field. */
  readonly prompt: FieldCodec<TCondition>;
  /** Codec of the `chosen` and `rejected` fields. */
  readonly response: FieldCodec<TResponse>;
}

/**
 * TRL's standard text format, the default schema: a non-empty prompt string and response
 * strings that may be empty (empty completions are legal in TRL). For unconditional data use
 * `{ prompt: textField(), response: textField() }`.
 */
export const TEXT_PREFERENCE_SCHEMA: PreferenceSchema<string, string> = Object.freeze({
  prompt: textField({ allowEmpty: false }),
  response: textField(),
});

/** TRL's conversational format: prompt, chosen and rejected are lists of chat messages. */
export const CONVERSATIONAL_PREFERENCE_SCHEMA: PreferenceSchema<ChatMessage[], ChatMessage[]> = Object.freeze({
  prompt: conversationalField(),
  response: conversationalField(),
});

const PREFERENCE_FIELDS: ReadonlySet<string> = new Set(['prompt', 'chosen', 'rejected']);

/**
 * Checks at run time that `schema` has a codec for `prompt` and `response`.
 * @throws InvalidArgumentError naming `schema.prompt` or `schema.response`.
 */
export function requirePreferenceSchema<C, R>(schema: PreferenceSchema<C, R>): PreferenceSchema<C, R> {
  requireFieldCodec('schema.prompt', schema?.prompt);
  requireFieldCodec('schema.response', schema?.response);
  return schema;
}

/**
 * Decodes one JSON object into a {@link PreferenceRecord}.
 * @throws DataFormatError at `location` naming the missing or invalid field.
 */
export function parsePreferenceRecord<C, R>(
  object: Readonly<Record<string, unknown>>,
  schema: PreferenceSchema<C, R>,
  location: RecordLocation,
): PreferenceRecord<C, R> {
  return {
    prompt: decodeField(object, 'prompt', schema.prompt, location),
    chosen: decodeField(object, 'chosen', schema.response, location),
    rejected: decodeField(object, 'rejected', schema.response, location),
    extra: extraFields(object, PREFERENCE_FIELDS),
  };
}

/**
 * Encodes a {@link PreferenceRecord} as the JSON object of its line: `prompt`, `chosen`,
 * `rejected`, then the extra fields.
 * @throws InvalidArgumentError naming `records[index].<field>` for an invalid field,
 *   or an `extra` that repeats a schema field.
 */
export function serializePreferenceRecord<C, R>(
  record: PreferenceRecordInput<C, R>,
  schema: PreferenceSchema<C, R>,
  index: number,
  context: JsonlWriteContext,
): Record<string, unknown> {
  const argument = `records[${index}]`;
  const at = (field: string) => ({ ...context, field });
  return mergeExtraFields(
    {
      prompt: encodeField(record.prompt, schema.prompt, at('prompt'), `${argument}.prompt`),
      chosen: encodeField(record.chosen, schema.response, at('chosen'), `${argument}.chosen`),
      rejected: encodeField(record.rejected, schema.response, at('rejected'), `${argument}.rejected`),
    },
    record.extra,
    `${argument}.extra`,
  );
}
