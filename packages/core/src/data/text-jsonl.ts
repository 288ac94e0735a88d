import type { FieldCodec } from './field-codec.js';
import { requireFieldCodec } from './field-codec.js';
import type { JsonlReadOptions } from './jsonl-reader.js';
import { loadJsonl, readJsonl } from './jsonl-reader.js';
import { writeJsonl } from './jsonl-writer.js';
import { singleFieldParser, singleFieldSerializer } from './single-field-record.js';
import { textField } from './text-field.js';

/**
 * One unpaired example for supervised fine-tuning, TRL's language-modeling format:
 * `{"text": "The sky is blue."}`. Other fields are kept in `extra`.
 */
export interface TextRecord<T = string> {
  /** The training text (or another modality's example, through a codec). */
  readonly text: T;
  /** Every other field of the JSON object, unchanged. */
  readonly extra: Readonly<Record<string, unknown>>;
}

/** What {@link writeTextJsonl} accepts: a {@link TextRecord} whose `extra` may be left out. */
export type TextRecordInput<T = string> = Omit<TextRecord<T>, 'extra'> & {
  /** Fields written after `text`, in their order; none when absent. */
  readonly extra?: Readonly<Record<string, unknown>>;
};

/** The default codec of the `text` field: a non-empty string (an empty example teaches nothing). */
export const TEXT_FIELD: FieldCodec<string> = Object.freeze(textField({ allowEmpty: false }));

function resolveCodec<T>(codec: FieldCodec<T> | undefined): FieldCodec<T> {
  return requireFieldCodec('codec', codec ?? (TEXT_FIELD as unknown as FieldCodec<T>));
}

/**
 * Streams the examples of a `{"text": ...}` JSONL file. Lines, options and errors as
 * {@link readPreferenceJsonl}: `DataFormatError` with file and line for bad JSON, a
 * missing or mistyped `text` field, a blank line between records; with line 0 for a missing
 * or empty file.
 * @param codec - converts the `text` field; {@link TEXT_FIELD} when omitted.
 * @example
 * for await (const { text } of readTextJsonl('corpus.jsonl')) tokenizer.train(text);
 */
export function readTextJsonl(
  path: string,
  codec?: undefined,
  options?: JsonlReadOptions,
): AsyncGenerator<TextRecord<string>, void, undefined>;
export function readTextJsonl<T>(
  path: string,
  codec: FieldCodec<T>,
  options?: JsonlReadOptions,
): AsyncGenerator<TextRecord<T>, void, undefined>;
export function readTextJsonl<T>(
  path: string,
  codec?: FieldCodec<T>,
  options: JsonlReadOptions = {},
): AsyncGenerator<TextRecord<T>, void, undefined> {
  return readJsonl(path, singleFieldParser('text', resolveCodec(codec)), options);
}

/** Reads a whole `{"text": ...}` JSONL file into an array; see {@link readTextJsonl}. */
export function loadTextJsonl(
  path: string,
  codec?: undefined,
  options?: JsonlReadOptions,
): Promise<TextRecord<string>[]>;
export function loadTextJsonl<T>(
  path: string,
  codec: FieldCodec<T>,
  options?: JsonlReadOptions,
): Promise<TextRecord<T>[]>;
export async function loadTextJsonl<T>(
  path: string,
  codec?: FieldCodec<T>,
  options: JsonlReadOptions = {},
): Promise<TextRecord<T>[]> {
  return loadJsonl(path, singleFieldParser('text', resolveCodec(codec)), options);
}

/**
 * Writes `{"text": ..., ...extra}` lines atomically (temporary file, fsync, rename); checks
 * and errors as {@link writePreferenceJsonl}.
 * @returns the number of records written.
 * @example
 * await writeTextJsonl('corpus.jsonl', sentences.map((text) => ({ text })));
 */
export function writeTextJsonl(
  path: string,
  records: Iterable<TextRecordInput> | AsyncIterable<TextRecordInput>,
  codec?: undefined,
): Promise<number>;
export function writeTextJsonl<T>(
  path: string,
  records: Iterable<TextRecordInput<T>> | AsyncIterable<TextRecordInput<T>>,
  codec: FieldCodec<T>,
): Promise<number>;
export async function writeTextJsonl<T>(
  path: string,
  records: Iterable<TextRecordInput<T>> | AsyncIterable<TextRecordInput<T>>,
  codec?: FieldCodec<T>,
): Promise<number> {
  return writeJsonl(path, records, singleFieldSerializer('text', resolveCodec(codec)));
}
