import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, requireNumber } from '@dpo-ts/core';
import type { ImageShape } from '../denoiser.js';
import type { CaptionPreferenceInput, CaptionPreferenceLabel } from '../pairs/caption-preference-jsonl.js';
import type { ImageLabeler } from './labelers.js';

/** Two images of one caption, host `[h, w, c]` values in [-1, 1], not yet labelled. */
export interface UnlabelledPair {
  /** The caption both images were generated for. */
  readonly caption: string;
  /** The first image, `[h, w, c]` in [-1, 1]. */
  readonly image0: Float32Array;
  /** The second image, `[h, w, c]` in [-1, 1]. */
  readonly image1: Float32Array;
  /** Extra fields to keep (seeds, sampler settings). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/**
 * Default tie margin: a pair is a tie when the labeler's preference probability
 * P(image 0) = sigmoid(s_0 - s_1) is within 0.05 of 1/2, i.e. |s_0 - s_1| < logit(0.55) = 0.2007.
 */
export const DEFAULT_TIE_MARGIN = 0.05;

/** Options of {@link labelPairs}. */
export interface LabelPairsOptions {
  /** Tie when |P(image 0) - 1/2| < tieMargin (strictly). @defaultValue DEFAULT_TIE_MARGIN (0.05) */
  readonly tieMargin?: number;
  /** Images per labeler call (two per pair). @defaultValue 64 */
  readonly batchSize?: number;
}

/**
 * Labels pairs with a labeler, Pick-a-Pic style: label_0 = 1 when the labeler prefers image 0
 * with probability P = sigmoid(s_0 - s_1) >= 1/2 + tieMargin, 0 when P <= 1/2 - tieMargin, and
 * 0.5 (a tie) in between. Ties are kept (written as Pick-a-Pic writes them, `label_0` 0.5) and
 * dropped on reading by `loadCaptionPreferenceImages`, as Diffusion-DPO drops Pick-a-Pic's ties
 * (Wallace et al. 2023, Sec. 5: "we ... exclude ties"). A labeler that cannot tell two images
 * apart thus gives no training signal, instead of a coin flip.
 *
 * Extra fields: `labeler`, `score_0`, `score_1`, `p_0` (and the pair's own extras).
 * @returns one record per pair, for `writeCaptionPreferenceJsonl`.
 */
export async function labelPairs(
  labeler: ImageLabeler,
  pairs: readonly UnlabelledPair[],
  imageShape: ImageShape,
  options: LabelPairsOptions = {},
): Promise<CaptionPreferenceInput[]> {
  const tieMargin = requireNumber('options.tieMargin', options.tieMargin ?? DEFAULT_TIE_MARGIN, { min: 0, max: 0.5 });
  const batchPairs = Math.max(
    1,
    Math.floor(requireNumber('options.batchSize', options.batchSize ?? 64, { min: 2 }) / 2),
  );
  const size = imageShape[0] * imageShape[1] * imageShape[2];
  const records: CaptionPreferenceInput[] = [];
  for (let start = 0; start < pairs.length; start += batchPairs) {
    const chunk = pairs.slice(start, start + batchPairs);
    const pixels = new Float32Array(2 * chunk.length * size);
    chunk.forEach((pair, i) => {
      for (const [side, image] of [pair.image0, pair.image1].entries()) {
        if (!(image instanceof Float32Array) || image.length !== size)
          throw new InvalidArgumentError(
            `pairs[${start + i}].image${side}`,
            `a Float32Array of ${size} values`,
            image?.length,
          );
        pixels.set(image, (2 * i + side) * size);
      }
    });
    const images = tf.tensor4d(pixels, [2 * chunk.length, ...imageShape]);
    let scores: Float32Array;
    try {
      scores = await labeler.score(
        images,
        chunk.flatMap((pair) => [pair.caption, pair.caption]),
      );
    } finally {
      images.dispose();
    }
    chunk.forEach((pair, i) => {
      const score0 = scores[2 * i]!;
      const score1 = scores[2 * i + 1]!;
      const p0 = 1 / (1 + Math.exp(score1 - score0));
      const label0: CaptionPreferenceLabel = p0 >= 0.5 + tieMargin ? 1 : p0 <= 0.5 - tieMargin ? 0 : 0.5;
      records.push({
        caption: pair.caption,
        image0: pair.image0,
        image1: pair.image1,
        label0,
        extra: { ...pair.extra, labeler: labeler.name, score_0: score0, score_1: score1, p_0: p0 },
      });
    });
  }
  return records;
}
