import { JsonlWriter, writeJsonl } from './jsonl-writer.js';
import type { PreferenceRecordInput, PreferenceSchema } from './preference-record.js';
import { TEXT_PREFERENCE_SCHEMA, requirePreferenceSchema, serializePreferenceRecord } from './preference-record.js';

/** A streaming, atomic writer of preference pairs; see {@link openPreferenceJsonlWriter}. */
export type PreferenceJsonlWriter<C = string, R = string> = JsonlWriter<PreferenceRecordInput<C, R>>;

/**
 * Writes preference pairs as JSONL in TRL's standard format, atomically: a temporary file in
 * the same directory is written, fsynced and renamed over `path`, so a crash or an error
 * never leaves a half-written file and an existing file stays intact until the new one is
 * complete. Each line is `{"prompt", "chosen", "rejected", ...extra}`; every field is checked
 * to parse back through `schema` ({@link TEXT_PREFERENCE_SCHEMA} when omitted), so
 * `loadPreferenceJsonl(path, schema)` returns equal records.
 *
 * @returns the number of pairs written.
 * @throws InvalidArgumentError naming `records[i].<field>` for an invalid pair, an
 *   `extra` that repeats `prompt`/`chosen`/`rejected`, a value JSON cannot hold (NaN,
 *   Infinity), or no records at all.
 * @throws DPOTSError when the file cannot be written. Errors thrown by `records` (an
 *   async generator, say) are rethrown unchanged; in every case the target is untouched.
 * @example
 * await writePreferenceJsonl('pairs.jsonl', [{ prompt: '2+2?', chosen: '4', rejected: '5', extra: { margin: 1 } }]);
 */
export function writePreferenceJsonl(
  path: string,
  records: Iterable<PreferenceRecordInput> | AsyncIterable<PreferenceRecordInput>,
  schema?: undefined,
): Promise<number>;
export function writePreferenceJsonl<C, R>(
  path: string,
  records: Iterable<PreferenceRecordInput<C, R>> | AsyncIterable<PreferenceRecordInput<C, R>>,
  schema: PreferenceSchema<C, R>,
): Promise<number>;
export async function writePreferenceJsonl<C, R>(
  path: string,
  records: Iterable<PreferenceRecordInput<C, R>> | AsyncIterable<PreferenceRecordInput<C, R>>,
  schema?: PreferenceSchema<C, R>,
): Promise<number> {
  const resolved = requirePreferenceSchema(schema ?? (TEXT_PREFERENCE_SCHEMA as unknown as PreferenceSchema<C, R>));
  return writeJsonl(path, records, (record, index, context) =>
    serializePreferenceRecord(record, resolved, index, context),
  );
}

/**
 * Opens a streaming, atomic preference writer: `append()` pairs as they are produced (while
 * sampling, say), then `close()` to publish the file or `abort()` to discard it. Same format,
 * checks and errors as {@link writePreferenceJsonl}; see {@link JsonlWriter}.
 * @example
 * const writer = await openPreferenceJsonlWriter('sampled.jsonl');
 * try {
 *   for (const prompt of prompts) await writer.append({ prompt, ...(await rankTwoSamples(prompt)) });
 *   await writer.close();
 * } finally {
 *   await writer.abort(); // no-op after close()
 * }
 */
export function openPreferenceJsonlWriter(path: string, schema?: undefined): Promise<PreferenceJsonlWriter>;
export function openPreferenceJsonlWriter<C, R>(
  path: string,
  schema: PreferenceSchema<C, R>,
): Promise<PreferenceJsonlWriter<C, R>>;
export async function openPreferenceJsonlWriter<C, R>(
  path: string,
  schema?: PreferenceSchema<C, R>,
): Promise<PreferenceJsonlWriter<C, R>> {
  const resolved = requirePreferenceSchema(schema ?? (TEXT_PREFERENCE_SCHEMA as unknown as PreferenceSchema<C, R>));
  return JsonlWriter.open(path, (record: PreferenceRecordInput<C, R>, index, context) =>
    serializePreferenceRecord(record, resolved, index, context),
  );
}
