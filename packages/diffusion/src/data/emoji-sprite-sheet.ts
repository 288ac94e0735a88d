import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { DataFormatError, InvalidArgumentError, requireInteger } from '@dpo-ts/core';

// pngjs is CommonJS without bundled types; this is the one call used here.
const { PNG } = createRequire(import.meta.url)('pngjs') as {
  PNG: { sync: { read(buffer: Uint8Array): { width: number; height: number; data: Uint8Array } } };
};

/** A decoded RGBA sprite sheet of emoji-datasource (cells of `cellSize + 2` px: 1 px transparent border). */
export interface EmojiSpriteSheet {
  /** The PNG file, for messages. */
  readonly file: string;
  /** Width of the whole sheet in pixels. */
  readonly width: number;
  /** Height of the whole sheet in pixels. */
  readonly height: number;
  /** RGBA bytes, row-major. */
  readonly rgba: Uint8Array;
  /** Side of one emoji in pixels (16, 20, 32 or 64), without the border. */
  readonly cellSize: number;
}

/**
 * Reads and decodes a sprite sheet (`img/<vendor>/sheets-clean/32.png`: 62 x 62 cells of
 * 34 px, 2108 x 2108 px) with pngjs.
 * @throws DataFormatError naming the file when it cannot be read or decoded.
 */
export async function readEmojiSpriteSheet(file: string, cellSize: number): Promise<EmojiSpriteSheet> {
  requireInteger('cellSize', cellSize, { min: 1 });
  let image: { width: number; height: number; data: Uint8Array };
  try {
    image = PNG.sync.read(await readFile(file));
  } catch (error) {
    throw new DataFormatError(file, 0, `not a readable PNG sprite sheet: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (image.width % (cellSize + 2) !== 0 || image.height % (cellSize + 2) !== 0) {
    throw new DataFormatError(
      file,
      0,
      `is ${image.width}x${image.height} px, not a whole number of ${cellSize + 2} px cells`,
    );
  }
  return { file, width: image.width, height: image.height, rgba: image.data, cellSize };
}

/**
 * Copies the emoji at grid position (`sheetX`, `sheetY`) into `target` as RGB composited on
 * white, scaled to [-1, 1]: v = (a c + (1 - a) 255) / 127.5 - 1 with a = alpha / 255, so a
 * transparent pixel is white (1, 1, 1). The cell's top-left pixel is
 * (sheetX (size + 2) + 1, sheetY (size + 2) + 1), as the emoji-datasource README gives it.
 *
 * @param target - receives `[cellSize, cellSize, 3]` values (HWC) at `offset`.
 */
export function copyEmojiCell(
  sheet: EmojiSpriteSheet,
  sheetX: number,
  sheetY: number,
  target: Float32Array,
  offset = 0,
): void {
  const size = sheet.cellSize;
  const left = sheetX * (size + 2) + 1;
  const top = sheetY * (size + 2) + 1;
  if (!Number.isInteger(sheetX) || sheetX < 0 || left + size > sheet.width) {
    throw new InvalidArgumentError(
      'sheetX',
      `an integer cell column inside the ${sheet.width} px sheet ${sheet.file}`,
      sheetX,
    );
  }
  if (!Number.isInteger(sheetY) || sheetY < 0 || top + size > sheet.height) {
    throw new InvalidArgumentError(
      'sheetY',
      `an integer cell row inside the ${sheet.height} px sheet ${sheet.file}`,
      sheetY,
    );
  }
  if (offset + size * size * 3 > target.length)
    throw new InvalidArgumentError('target', `room for ${size * size * 3} values at ${offset}`, target.length);
  const rgba = sheet.rgba;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const source = ((top + y) * sheet.width + left + x) * 4;
      const alpha = rgba[source + 3]! / 255;
      const destination = offset + (y * size + x) * 3;
      for (let c = 0; c < 3; c++) target[destination + c] = (alpha * rgba[source + c]! + (1 - alpha) * 255) / 127.5 - 1;
    }
  }
}
