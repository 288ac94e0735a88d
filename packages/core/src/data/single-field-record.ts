import type { FieldCodec } from './field-codec.js';
import { decodeField, encodeField, extraFields, mergeExtraFields } from './field-codec.js';
import type { JsonlRecordParser } from './jsonl-reader.js';
import type { JsonlRecordSerializer } from './jsonl-writer.js';

/** A record with one schema field `K` plus the extra fields (shared by text and prompt-only JSONL). */
export type SingleFieldRecord<K extends string, T> = { readonly [P in K]: T } & {
  readonly extra: Readonly<Record<string, unknown>>;
};

/** {@link SingleFieldRecord} whose `extra` may be left out, as the writers accept it. */
export type SingleFieldRecordInput<K extends string, T> = { readonly [P in K]: T } & {
  readonly extra?: Readonly<Record<string, unknown>>;
};

/** Parses `{ [key]: ..., ...extra }` objects through `codec`. Internal to data/. */
export function singleFieldParser<K extends string, T>(
  key: K,
  codec: FieldCodec<T>,
): JsonlRecordParser<SingleFieldRecord<K, T>> {
  const known: ReadonlySet<string> = new Set([key]);
  return (object, location) =>
    ({ [key]: decodeField(object, key, codec, location), extra: extraFields(object, known) }) as SingleFieldRecord<
      K,
      T
    >;
}

/** Serialises records to `{ [key]: ..., ...extra }` objects through `codec`. Internal to data/. */
export function singleFieldSerializer<K extends string, T>(
  key: K,
  codec: FieldCodec<T>,
): JsonlRecordSerializer<SingleFieldRecordInput<K, T>> {
  return (record, index, context) =>
    mergeExtraFields(
      { [key]: encodeField(record[key] as T, codec, { ...context, field: key }, `records[${index}].${key}`) },
      record.extra,
      `records[${index}].extra`,
    );
}
