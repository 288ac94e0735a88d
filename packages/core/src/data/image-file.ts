import { constants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DataFormatError } from '../errors/data-format-error.js';
import { requireBoolean, requireInteger } from '../errors/validate.js';
import type { RecordLocation } from './field-codec.js';
import type { ImageReference } from './image-field.js';

/** Limits on the images a JSONL dataset references; see {@link readImageBytes}. */
export interface ImageReadLimits {
  /**
   * Largest encoded image accepted, in bytes (a file's size, or a data URL's decoded payload).
   * @defaultValue 32 MiB (`DEFAULT_IMAGE_READ_LIMITS.maxBytes`)
   */
  readonly maxBytes?: number;
  /**
   * Largest width and height accepted, in pixels, read from the PNG header before decoding
   * (decoding allocates width x height x 4 bytes, so a 100-byte file may claim gigabytes).
   * @defaultValue 4096
   */
  readonly maxDimension?: number;
  /**
   * Refuse image paths that resolve, after following symbolic links, outside the JSONL file's
   * directory (and its subdirectories). Turn it on for datasets from untrusted sources.
   * @defaultValue false
   */
  readonly confineToDirectory?: boolean;
}

/** The defaults of {@link ImageReadLimits}. */
export const DEFAULT_IMAGE_READ_LIMITS: Required<ImageReadLimits> = Object.freeze({
  maxBytes: 32 * 1024 * 1024,
  maxDimension: 4096,
  confineToDirectory: false,
});

/** Where an image reference was read: the record's location and the field (`chosen`). */
export interface ImageFieldLocation extends RecordLocation {
  /** The record's field that holds the reference (`chosen`, `rejected`, `image`), named in errors. */
  readonly field: string;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const DATA_URL_PREFIX = 'data:image/png;base64,';

/**
 * Merges `limits` over {@link DEFAULT_IMAGE_READ_LIMITS} and validates them.
 * @throws InvalidArgumentError naming `argument.<field>`.
 */
export function resolveImageReadLimits(limits: ImageReadLimits = {}, argument = 'limits'): Required<ImageReadLimits> {
  return {
    maxBytes: requireInteger(`${argument}.maxBytes`, limits.maxBytes ?? DEFAULT_IMAGE_READ_LIMITS.maxBytes, { min: 1 }),
    maxDimension: requireInteger(
      `${argument}.maxDimension`,
      limits.maxDimension ?? DEFAULT_IMAGE_READ_LIMITS.maxDimension,
      { min: 1 },
    ),
    confineToDirectory: requireBoolean(
      `${argument}.confineToDirectory`,
      limits.confineToDirectory ?? DEFAULT_IMAGE_READ_LIMITS.confineToDirectory,
    ),
  };
}

/**
 * The encoded bytes of one image referenced by a JSONL record, read within limits:
 *
 * - a file must be a regular file (a symbolic link is followed; a link to `/dev/zero`, a FIFO
 *   or a directory is refused without reading it); with `confineToDirectory`, its real path
 *   must lie under the JSONL file's directory;
 * - at most `maxBytes` bytes are read (the size is checked on the open file, so a file that
 *   grows while being read is still cut off);
 * - the bytes must start with the PNG signature and an IHDR chunk whose width and height are
 *   at most `maxDimension`, checked before anything is decoded.
 *
 * @returns a new buffer the caller owns.
 * @throws DataFormatError naming the JSONL file, the record's line, the field and the
 *   image path: missing file (`no such file`), not a regular file, outside the directory, too
 *   large, not a PNG, dimensions over the cap.
 */
export async function readImageBytes(
  reference: ImageReference,
  location: ImageFieldLocation,
  limits: ImageReadLimits = {},
): Promise<Uint8Array> {
  const resolved = resolveImageReadLimits(limits);
  const fail = (what: string, reason: string, cause?: unknown): never => {
    throw new DataFormatError(
      location.file,
      location.line,
      `field "${location.field}": ${what}: ${reason}`,
      cause === undefined ? undefined : { cause },
    );
  };
  if (reference.kind === 'data-url') {
    const payload = reference.url.startsWith(DATA_URL_PREFIX) ? reference.url.slice(DATA_URL_PREFIX.length) : '';
    if (Math.floor((payload.length * 3) / 4) > resolved.maxBytes + 2)
      fail('inline image', `larger than maxBytes (${resolved.maxBytes} bytes)`);
    const bytes = Buffer.from(payload, 'base64');
    checkPngHeader(bytes, resolved, (reason) => fail('inline image', reason));
    return bytes;
  }
  const file = reference.path;
  const bytes = await readRegularFile(file, location.directory, resolved, (reason, cause) =>
    fail(`image ${file}`, reason, cause),
  );
  checkPngHeader(bytes, resolved, (reason) => fail(`image ${file}`, reason));
  return bytes;
}

async function readRegularFile(
  file: string,
  directory: string,
  limits: Required<ImageReadLimits>,
  fail: (reason: string, cause?: unknown) => never,
): Promise<Uint8Array> {
  let real: string;
  try {
    real = await fs.realpath(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return fail(code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? (error as Error).message})`, error);
  }
  if (limits.confineToDirectory) {
    const root = await fs.realpath(directory).catch(() => path.resolve(directory));
    const inside = path.relative(root, real);
    if (inside === '' || inside === '..' || inside.startsWith(`..${path.sep}`) || path.isAbsolute(inside)) {
      fail(`resolves to ${real}, outside the dataset's directory ${root} (confineToDirectory is on)`);
    }
  }
  // stat before open: opening a FIFO would block until a writer appears.
  let handle: fs.FileHandle;
  try {
    const before = await fs.stat(real);
    if (!before.isFile()) fail(`not a regular file (${kindOf(before)})`);
    handle = await fs.open(real, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    if (error instanceof DataFormatError) throw error;
    return fail(`cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, error);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) fail(`not a regular file (${kindOf(stats)})`);
    if (stats.size > limits.maxBytes) fail(`${stats.size} bytes, larger than maxBytes (${limits.maxBytes} bytes)`);
    const buffer = Buffer.alloc(Math.min(stats.size, limits.maxBytes) + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > limits.maxBytes) fail(`larger than maxBytes (${limits.maxBytes} bytes)`);
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

function kindOf(stats: import('node:fs').Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  return 'not a file';
}

/** PNG signature, then IHDR (length 13) with width and height within the cap. */
function checkPngHeader(bytes: Uint8Array, limits: Required<ImageReadLimits>, fail: (reason: string) => never): void {
  if (bytes.length < 24 || !PNG_SIGNATURE.every((byte, i) => bytes[i] === byte)) fail('not a PNG (no PNG signature)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = String.fromCharCode(...bytes.subarray(12, 16));
  if (view.getUint32(8) !== 13 || type !== 'IHDR') fail('not a PNG (no IHDR header chunk)');
  const [width, height] = [view.getUint32(16), view.getUint32(20)];
  if (width === 0 || height === 0 || width > limits.maxDimension || height > limits.maxDimension) {
    fail(`${width}x${height} pixels, over maxDimension (${limits.maxDimension}) or empty`);
  }
}
