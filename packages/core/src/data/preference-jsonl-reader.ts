import type { JsonlReadOptions } from './jsonl-reader.js';
import { loadJsonl, readJsonl } from './jsonl-reader.js';
import type { PreferenceRecord, PreferenceSchema } from './preference-record.js';
import { TEXT_PREFERENCE_SCHEMA, parsePreferenceRecord, requirePreferenceSchema } from './preference-record.js';

/**
 * Streams the preference pairs of a JSONL file in TRL's standard format, one
 * `{"prompt": ..., "chosen": ..., "rejected": ...}` object per line, converting the fields
 * through `schema` ({@link TEXT_PREFERENCE_SCHEMA} when omitted). Other fields are kept in
 * `extra`. Memory stays flat for any file size.
 *
 * Lines: a UTF-8 BOM, `\r\n` endings and trailing blank lines are fine; a blank line between
 * records is an error unless `allowBlankLines`. Nothing is skipped silently.
 *
 * @throws DataFormatError naming the file and 1-based line: invalid JSON (with the
 *   parser's message), not an object, a missing field (`missing field "chosen" (expected a
 *   string)`), a wrong type (`field "chosen" must be a string: got 3`), a blank line between
 *   records; with line 0: missing or unreadable file, no records.
 * @throws InvalidArgumentError for an invalid schema or options.
 * @example
 * for await (const pair of readPreferenceJsonl('pairs.jsonl')) {
 *   console.log(pair.prompt, pair.chosen, pair.rejected, pair.extra.margin);
 * }
 * const images = readPreferenceJsonl('pairs.jsonl', { prompt: textField(), response: imageField() }, { maxRecords: 100 });
 */
export function readPreferenceJsonl(
  path: string,
  schema?: undefined,
  options?: JsonlReadOptions,
): AsyncGenerator<PreferenceRecord<string, string>, void, undefined>;
export function readPreferenceJsonl<C, R>(
  path: string,
  schema: PreferenceSchema<C, R>,
  options?: JsonlReadOptions,
): AsyncGenerator<PreferenceRecord<C, R>, void, undefined>;
export function readPreferenceJsonl<C, R>(
  path: string,
  schema?: PreferenceSchema<C, R>,
  options: JsonlReadOptions = {},
): AsyncGenerator<PreferenceRecord<C, R>, void, undefined> {
  const resolved = requirePreferenceSchema(schema ?? (TEXT_PREFERENCE_SCHEMA as unknown as PreferenceSchema<C, R>));
  return readJsonl(path, (object, location) => parsePreferenceRecord(object, resolved, location), options);
}

/**
 * Reads a whole preference JSONL file into an array; format and errors as
 * {@link readPreferenceJsonl}.
 * @example
 * const pairs = await loadPreferenceJsonl('pairs.jsonl', CONVERSATIONAL_PREFERENCE_SCHEMA);
 */
export function loadPreferenceJsonl(
  path: string,
  schema?: undefined,
  options?: JsonlReadOptions,
): Promise<PreferenceRecord<string, string>[]>;
export function loadPreferenceJsonl<C, R>(
  path: string,
  schema: PreferenceSchema<C, R>,
  options?: JsonlReadOptions,
): Promise<PreferenceRecord<C, R>[]>;
export async function loadPreferenceJsonl<C, R>(
  path: string,
  schema?: PreferenceSchema<C, R>,
  options: JsonlReadOptions = {},
): Promise<PreferenceRecord<C, R>[]> {
  const resolved = requirePreferenceSchema(schema ?? (TEXT_PREFERENCE_SCHEMA as unknown as PreferenceSchema<C, R>));
  return loadJsonl(path, (object, location) => parsePreferenceRecord(object, resolved, location), options);
}
