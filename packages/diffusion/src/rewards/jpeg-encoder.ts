import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { runInNewContext } from 'node:vm';
import jpeg from 'jpeg-js';

/** RGBA pixels as jpeg-js takes them. */
interface RgbaImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

interface JpegEncoderInstance {
  encode(image: RgbaImage, quality: number): { readonly length: number };
}

type JpegEncoderConstructor = new (quality: number) => JpegEncoderInstance;

const encoders = new Map<number, JpegEncoderInstance>();
let encoderClass: JpegEncoderConstructor | null | undefined;

/**
 * jpeg-js's `encode()` builds a new `JPEGEncoder` per call, and its constructor fills 65,535-entry
 * lookup tables: ~50 ms per call, against well under 1 ms to encode a 28x28 image. The class is
 * not exported, so it is taken from the package's own `lib/encoder.js`, evaluated once in a
 * separate context (the file is self-contained: a `JPEGEncoder` function and an `encode`
 * wrapper), and one instance per quality is reused. Its `encode` resets all its output state
 * on every call, so sizes are byte-identical to `jpeg.encode` (tested). If the file's layout
 * ever changes, this falls back to `jpeg.encode`.
 */
function loadEncoderClass(): JpegEncoderConstructor | null {
  try {
    const file = createRequire(import.meta.url).resolve('jpeg-js/lib/encoder.js');
    const context: Record<string, unknown> = { module: { exports: {} }, Buffer, console };
    runInNewContext(readFileSync(file, 'utf8'), context, { filename: file });
    return typeof context.JPEGEncoder === 'function' ? (context.JPEGEncoder as JpegEncoderConstructor) : null;
  } catch {
    return null;
  }
}

/**
 * Length in bytes of `image` encoded as a baseline JPEG at `quality` by jpeg-js, with one
 * reused encoder per quality (see above); the same number as `jpeg.encode(image, quality).data.length`.
 */
export function jpegEncodedLength(image: RgbaImage, quality: number): number {
  if (encoderClass === undefined) encoderClass = loadEncoderClass();
  if (encoderClass === null) return jpeg.encode(image, quality).data.length;
  let encoder = encoders.get(quality);
  if (encoder === undefined) {
    encoder = new encoderClass(quality);
    encoders.set(quality, encoder);
  }
  return encoder.encode(image, quality).length;
}
