import { statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { FieldCodec, FieldParseResult } from './field-codec.js';
import { fieldFailure, fieldOk } from './field-codec.js';

/**
 * A reference to a PNG image, kept undecoded: decoding belongs to the diffusion package.
 *
 * - `file`: a PNG on disk; `path` is absolute, resolved against the JSONL file's directory.
 * - `data-url`: an inline `data:image/png;base64,...` string, kept verbatim.
 */
export type ImageReference =
  | {
      /** A PNG file on disk. */
      readonly kind: 'file';
      /** Absolute path of the PNG, resolved against the JSONL file's directory. */
      readonly path: string;
    }
  | {
      /** An inline image. */
      readonly kind: 'data-url';
      /** The `data:image/png;base64,...` string, verbatim. */
      readonly url: string;
    };

/** Options of {@link imageField}. */
export interface ImageFieldOptions {
  /**
   * Check that a referenced file exists (one `stat` per image while reading). Off by default so
   * reading stays a pure text pass; turn it on to catch missing images at load time.
   * @defaultValue false
   */
  readonly checkExists?: boolean;
  /**
   * Refuse paths that point outside the JSONL file's directory (absolute paths elsewhere,
   * `../` escapes), checked on the path's text when the record is parsed. Symbolic links are
   * checked when the image is read ({@link readImageBytes} with `confineToDirectory`).
   * @defaultValue false
   */
  readonly confineToDirectory?: boolean;
}

const DATA_URL_PREFIX = 'data:image/png;base64,';
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const EXPECTED = 'a .png path relative to the JSONL file or a data:image/png;base64 URL';

/**
 * An image field: a PNG path relative to the JSONL file (`"chosen": "images/0001_a.png"`;
 * absolute paths are accepted too) or an inline `data:image/png;base64,...` URL.
 *
 * Reading the images is left to the caller, within limits, through {@link readImageBytes}.
 *
 * Paths must end in `.png` (any case). Data URLs must be well-formed base64 whose first bytes
 * are the PNG signature. On write, file paths are made relative to the file being written, with
 * `/` separators, so a dataset can be moved as a folder.
 *
 * @example
 * const schema: PreferenceSchema<string, ImageReference> = { prompt: textField(), response: imageField() };
 * for await (const pair of readPreferenceJsonl('pairs.jsonl', schema)) {
 *   if (pair.chosen.kind === 'file') console.log(pair.chosen.path); // absolute
 * }
 */
export function imageField(options: ImageFieldOptions = {}): FieldCodec<ImageReference> {
  const checkExists = options.checkExists ?? false;
  const confine = options.confineToDirectory ?? false;
  return {
    expected: EXPECTED,
    parse(value, context): FieldParseResult<ImageReference> {
      if (typeof value !== 'string' || value.length === 0) return fieldFailure(EXPECTED, value);
      if (value.startsWith('data:')) {
        const problem = dataUrlProblem(value);
        return problem === undefined
          ? fieldOk({ kind: 'data-url', url: value })
          : fieldFailure(EXPECTED, value, { detail: problem });
      }
      if (value.includes('\0') || !value.toLowerCase().endsWith('.png')) return fieldFailure(EXPECTED, value);
      const path = resolve(context.directory, value);
      if (confine && !isInside(context.directory, path)) {
        return fieldFailure(EXPECTED, value, {
          detail: `outside the dataset's directory ${context.directory} (confineToDirectory is on)`,
        });
      }
      if (checkExists && !isFile(path)) return fieldFailure(EXPECTED, value, { detail: `no file at ${path}` });
      return fieldOk({ kind: 'file', path });
    },
    serialize(value, context): unknown {
      if (value.kind === 'data-url') return value.url;
      if (!isAbsolute(value.path)) return value.path.split(sep).join('/');
      const relativePath = relative(context.directory, value.path);
      // On Windows a path on another drive has no relative form; keep it absolute.
      return (isAbsolute(relativePath) ? relativePath : relativePath.split(sep).join('/')) || value.path;
    },
  };
}

/** Why `url` is not a base64 PNG data URL, or undefined when it is one. */
function dataUrlProblem(url: string): string | undefined {
  if (!url.startsWith(DATA_URL_PREFIX)) return `data URLs must start with "${DATA_URL_PREFIX}"`;
  const payload = url.slice(DATA_URL_PREFIX.length);
  if (payload.length === 0 || payload.length % 4 !== 0 || !BASE64.test(payload)) return 'payload is not valid base64';
  const head = Buffer.from(payload.slice(0, 12), 'base64');
  if (!PNG_SIGNATURE.every((byte, i) => head[i] === byte)) return 'payload does not start with the PNG signature';
  return undefined;
}

function isInside(directory: string, path: string): boolean {
  const inside = relative(directory, path);
  return inside !== '' && inside !== '..' && !inside.startsWith(`..${sep}`) && !isAbsolute(inside);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
