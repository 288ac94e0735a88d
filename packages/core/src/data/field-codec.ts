import { DataFormatError } from '../errors/data-format-error.js';
import { describeValue } from '../errors/describe-value.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';

/**
 * Where a field is being read from or written to. Codecs that hold references to other files
 * (an image path) resolve them against `directory`.
 */
export interface FieldContext {
  /** The data file, as the caller named it (used in error messages). */
  readonly file: string;
  /** Absolute directory of the data file; relative references are resolved against it. */
  readonly directory: string;
  /** Name of the JSON field (`prompt`, `chosen`, `rejected`, `text`). */
  readonly field: string;
}

/** A field that did not parse: what was expected and what was found. */
export interface FieldParseFailure {
  /** Always false: tells a failure from a success. */
  readonly ok: false;
  /** What the codec accepts, in words: `a string`, `an integer class label in [0, 10)`. */
  readonly expected: string;
  /** The offending value (the whole field, or the nested part named by `path`). */
  readonly actual: unknown;
  /** Location inside the field for nested values, appended to the field name: `[2].role`. */
  readonly path?: string;
  /** An optional hint: `looks like TRL's conversational format`. */
  readonly detail?: string;
}

/** The outcome of {@link FieldCodec.parse}: the typed value, or why it was rejected. */
export type FieldParseResult<T> =
  | {
      /** Always true: the field parsed. */
      readonly ok: true;
      /** The field's typed value. */
      readonly value: T;
    }
  | FieldParseFailure;

/**
 * How one field of a JSONL record is validated, converted to its typed value, and written back.
 *
 * Codecs return failures instead of throwing, so the reader can name the file, the line and the
 * field in one {@link DataFormatError}: `pairs.jsonl:17: field "chosen" must be a string: got 3`.
 * `serialize(parse(x))` must give JSON that parses back to an equal value (the writers check it).
 *
 * Shipped codecs: {@link textField}, {@link classLabelField}, {@link imageField},
 * {@link conversationalField}. A new modality writes its own in a few lines.
 *
 * @example
 * const audioPathField: FieldCodec<string> = {
 *   expected: 'a .wav path',
 *   parse: (value) =>
 *     typeof value === 'string' && value.endsWith('.wav') ? fieldOk(value) : fieldFailure('a .wav path', value),
 *   serialize: (value) => value,
 * };
 */
export interface FieldCodec<T> {
  /** What the codec accepts, in words; used in "missing field" messages. */
  readonly expected: string;
  /** Converts a parsed JSON value into the typed value, or says why it cannot. */
  parse(value: unknown, context: FieldContext): FieldParseResult<T>;
  /** Converts the typed value back to a JSON value. */
  serialize(value: T, context: FieldContext): unknown;
}

/** A successful {@link FieldParseResult}. */
export function fieldOk<T>(value: T): FieldParseResult<T> {
  return { ok: true, value };
}

/** A failed {@link FieldParseResult}; `path` locates the bad part of a nested value. */
export function fieldFailure(
  expected: string,
  actual: unknown,
  options: { path?: string; detail?: string } = {},
): FieldParseFailure {
  return { ok: false, expected, actual, ...options };
}

/** `field "chosen[1].role" must be one of ...: got "bot"` (without file and line). */
export function describeFieldFailure(field: string, failure: FieldParseFailure): string {
  const name = `${field}${failure.path ?? ''}`;
  const detail = failure.detail ? ` (${failure.detail})` : '';
  return `field "${name}" must be ${failure.expected}: got ${describeValue(failure.actual)}${detail}`;
}

/** File and line of the record being decoded, for error messages. */
export interface RecordLocation {
  /** The data file, as the caller named it. */
  readonly file: string;
  /** Absolute directory of the data file. */
  readonly directory: string;
  /** 1-based line number. */
  readonly line: number;
}

/**
 * Reads `record[key]` through `codec`.
 * @throws DataFormatError at the record's line when the field is missing or invalid.
 */
export function decodeField<T>(
  record: Readonly<Record<string, unknown>>,
  key: string,
  codec: FieldCodec<T>,
  location: RecordLocation,
): T {
  if (!Object.hasOwn(record, key)) {
    throw new DataFormatError(location.file, location.line, `missing field "${key}" (expected ${codec.expected})`);
  }
  const result = codec.parse(record[key], { file: location.file, directory: location.directory, field: key });
  if (!result.ok) throw new DataFormatError(location.file, location.line, describeFieldFailure(key, result));
  return result.value;
}

/**
 * Serialises `value` through `codec` and checks that the JSON parses back, so a writer never
 * produces a file its reader rejects.
 * @param argument - names the value in the error, for example `records[3].chosen`.
 * @throws InvalidArgumentError when the value does not serialise to valid JSON for the codec.
 */
export function encodeField<T>(value: T, codec: FieldCodec<T>, context: FieldContext, argument: string): unknown {
  let json: unknown;
  try {
    json = codec.serialize(value, context);
  } catch (error) {
    throw new InvalidArgumentError(
      argument,
      codec.expected,
      value,
      error instanceof Error ? error.message : String(error),
    );
  }
  const check = codec.parse(json, context);
  if (!check.ok) {
    throw new InvalidArgumentError(`${argument}${check.path ?? ''}`, check.expected, check.actual, check.detail);
  }
  return json;
}

/**
 * The keys of `record` not named in `known`, as a fresh object (own `__proto__` keys stay data).
 */
export function extraFields(
  record: Readonly<Record<string, unknown>>,
  known: ReadonlySet<string>,
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([key]) => !known.has(key)));
}

/**
 * `{ ...fields, ...extra }`, refusing extra keys that would overwrite a schema field.
 * @throws InvalidArgumentError when `extra` repeats a field name.
 */
export function mergeExtraFields(
  fields: Record<string, unknown>,
  extra: Readonly<Record<string, unknown>> | undefined,
  argument: string,
): Record<string, unknown> {
  if (extra === undefined) return fields;
  if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) {
    throw new InvalidArgumentError(argument, 'a plain object', extra);
  }
  for (const key of Object.keys(extra)) {
    if (Object.hasOwn(fields, key)) {
      throw new InvalidArgumentError(argument, `an object without the schema field "${key}"`, extra);
    }
  }
  return Object.fromEntries([...Object.entries(fields), ...Object.entries(extra)]);
}

/**
 * Checks at run time that `codec` looks like a {@link FieldCodec} (plain JavaScript callers).
 * @throws InvalidArgumentError naming `argument`.
 */
export function requireFieldCodec<T>(argument: string, codec: FieldCodec<T> | undefined): FieldCodec<T> {
  const candidate = codec as Partial<FieldCodec<T>> | undefined;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.parse !== 'function' ||
    typeof candidate.serialize !== 'function' ||
    typeof candidate.expected !== 'string'
  ) {
    throw new InvalidArgumentError(argument, 'a FieldCodec ({ expected, parse, serialize })', codec);
  }
  return codec as FieldCodec<T>;
}
