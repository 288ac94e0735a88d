/**
 * The emoji scripts' sample grid: one row per caption, the caption's real Twemoji and Noto
 * drawings (white where the datasets have none), then its samples.
 */
import { writeImageGrid, type EmojiDataset } from '@dpo-ts/diffusion';

/**
 * Writes the grid PNG (each 32x32 image shown at 2x).
 * @param datasets - where the real drawings are looked up, in order (the first with the caption wins).
 * @param samples - `[captions.length * perCaption, 32, 32, 3]` flattened, caption-major, in [-1, 1].
 */
export async function writeCaptionGrid(
  file: string,
  captions: readonly string[],
  datasets: readonly EmojiDataset[],
  samples: Float32Array,
  perCaption: number,
): Promise<void> {
  const columns = 2 + perCaption;
  const grid = new Float32Array(captions.length * columns * 3072).fill(1);
  captions.forEach((caption, row) => {
    (['twitter', 'google'] as const).forEach((vendor, column) => {
      for (const dataset of datasets) {
        const index = dataset.entries.findIndex((entry) => entry.caption === caption && entry.vendor === vendor);
        if (index < 0) continue;
        grid.set(dataset.images.subarray(index * 3072, (index + 1) * 3072), (row * columns + column) * 3072);
        break;
      }
    });
    grid.set(samples.subarray(row * perCaption * 3072, (row + 1) * perCaption * 3072), (row * columns + 2) * 3072);
  });
  await writeImageGrid(file, { data: grid, shape: [captions.length * columns, 32, 32, 3] }, { columns, scale: 2 });
}
