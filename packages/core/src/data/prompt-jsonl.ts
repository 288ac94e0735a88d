import type { FieldCodec } from './field-codec.js';
import { requireFieldCodec } from './field-codec.js';
import type { JsonlReadOptions } from './jsonl-reader.js';
import { loadJsonl, readJsonl } from './jsonl-reader.js';
import { writeJsonl } from './jsonl-writer.js';
import { singleFieldParser, singleFieldSerializer } from './single-field-record.js';
import { textField } from './text-field.js';

/**
 * One condition to generate from, TRL's prompt-only format used for RL rollouts (PPO, DDPO)
 * and for sampling new pairs: `{"prompt": "Describe the sky."}`. Other fields (reference
 * answers, ids) are kept in `extra`.
 */
export interface PromptRecord<T = string> {
  /** The condition: a prompt string, or another modality's condition through a codec. */
  readonly prompt: T;
  /** Every other field of the JSON object, unchanged. */
  readonly extra: Readonly<Record<string, unknown>>;
}

/** What {@link writePromptJsonl} accepts: a {@link PromptRecord} whose `extra` may be left out. */
export type PromptRecordInput<T = string> = Omit<PromptRecord<T>, 'extra'> & {
  /** Fields written after `prompt`, in their order; none when absent. */
  readonly extra?: Readonly<Record<string, unknown>>;
};

/** The default codec of the `prompt` field: a non-empty string, as in {@link TEXT_PREFERENCE_SCHEMA}. */
export const PROMPT_FIELD: FieldCodec<string> = Object.freeze(textField({ allowEmpty: false }));

function resolveCodec<T>(codec: FieldCodec<T> | undefined): FieldCodec<T> {
  return requireFieldCodec('codec', codec ?? (PROMPT_FIELD as unknown as FieldCodec<T>));
}

/**
 * Streams the prompts of a `{"prompt": ...}` JSONL file. Lines, options and errors as
 * {@link readPreferenceJsonl}: `DataFormatError` with file and line for bad JSON, a
 * missing or mistyped `prompt` field, a blank line between records; with line 0 for a missing
 * or empty file.
 * @param codec - converts the `prompt` field; {@link PROMPT_FIELD} when omitted.
 * @example
 * for await (const { prompt } of readPromptJsonl('prompts.jsonl')) rollouts.push(await policy.sample(prompt));
 */
export function readPromptJsonl(
  path: string,
  codec?: undefined,
  options?: JsonlReadOptions,
): AsyncGenerator<PromptRecord<string>, void, undefined>;
export function readPromptJsonl<T>(
  path: string,
  codec: FieldCodec<T>,
  options?: JsonlReadOptions,
): AsyncGenerator<PromptRecord<T>, void, undefined>;
export function readPromptJsonl<T>(
  path: string,
  codec?: FieldCodec<T>,
  options: JsonlReadOptions = {},
): AsyncGenerator<PromptRecord<T>, void, undefined> {
  return readJsonl(path, singleFieldParser('prompt', resolveCodec(codec)), options);
}

/** Reads a whole `{"prompt": ...}` JSONL file into an array; see {@link readPromptJsonl}. */
export function loadPromptJsonl(
  path: string,
  codec?: undefined,
  options?: JsonlReadOptions,
): Promise<PromptRecord<string>[]>;
export function loadPromptJsonl<T>(
  path: string,
  codec: FieldCodec<T>,
  options?: JsonlReadOptions,
): Promise<PromptRecord<T>[]>;
export async function loadPromptJsonl<T>(
  path: string,
  codec?: FieldCodec<T>,
  options: JsonlReadOptions = {},
): Promise<PromptRecord<T>[]> {
  return loadJsonl(path, singleFieldParser('prompt', resolveCodec(codec)), options);
}

/**
 * Writes `{"prompt": ..., ...extra}` lines atomically (temporary file, fsync, rename); checks
 * and errors as {@link writePreferenceJsonl}.
 * @returns the number of records written.
 * @example
 * await writePromptJsonl('prompts.jsonl', [{ prompt: 'Describe the sky.', extra: { id: 1 } }]);
 */
export function writePromptJsonl(
  path: string,
  records: Iterable<PromptRecordInput> | AsyncIterable<PromptRecordInput>,
  codec?: undefined,
): Promise<number>;
export function writePromptJsonl<T>(
  path: string,
  records: Iterable<PromptRecordInput<T>> | AsyncIterable<PromptRecordInput<T>>,
  codec: FieldCodec<T>,
): Promise<number>;
export async function writePromptJsonl<T>(
  path: string,
  records: Iterable<PromptRecordInput<T>> | AsyncIterable<PromptRecordInput<T>>,
  codec?: FieldCodec<T>,
): Promise<number> {
  return writeJsonl(path, records, singleFieldSerializer('prompt', resolveCodec(codec)));
}
