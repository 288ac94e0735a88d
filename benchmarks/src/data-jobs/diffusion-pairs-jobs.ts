import { DPOTSError, InvalidArgumentError, requireInteger } from '@dpo-ts/core';
import { type CaptionPreferenceInput, type ImageShape, decodeImage } from '@dpo-ts/diffusion';
import { type RunJobsOptions, runJobs } from '@dpo-ts/queue';
import { DIFFUSION_PAIRS_KIND, type DiffusionPairsPayload, type DiffusionPairsResult } from './diffusion-pairs-kind.js';

/** Options of {@link sampleLabeledImagePairs}. */
export interface ImagePairJobsOptions
  extends Omit<RunJobsOptions, 'jobs'>,
    Omit<DiffusionPairsPayload, 'captions' | 'firstIndex'> {
  /** Every caption, in order: one pair each. */
  readonly captions: readonly string[];
  /**
   * Captions per job. `2 * shardSize` must be a multiple of `sampler.batchSize`, so that every
   * shard starts a sampler call and its noise lines up with one run over every caption.
   */
  readonly shardSize: number;
}

/** The pairs of {@link sampleLabeledImagePairs}, ready for diffusion's `writeCaptionPreferenceJsonl`. */
export interface LabeledImagePairs {
  /** One record per caption, in caption order; ties kept (`label0` 0.5), as Pick-a-Pic keeps them. */
  readonly records: CaptionPreferenceInput[];
  /** `[h, w, c]` of every image. */
  readonly imageShape: ImageShape;
}

/**
 * Pick-a-Pic-style preference pairs from a text-to-image model (AI feedback at scale): two
 * images per caption drawn with the text-to-image benchmark's sampler, labelled by an image
 * labeler (the benchmark's CLIP or style labeler, or one of DDPO's rewards), the captions cut
 * into `pairs/diffusion` jobs of `shardSize` and the pairs reassembled in caption order. Shard j
 * starts at caption `j * shardSize` and draws the noise that caption's images have in one run
 * over every caption, so the pairs depend neither on the workers nor on the shard size.
 * Images come back as 8-bit PNGs (decoded here to [-1, 1]): exactly what the JSONL writer stores.
 * @throws InvalidArgumentError for a shard size that does not line up with `sampler.batchSize`;
 *   DPOTSError naming the first shard that failed.
 */
export async function sampleLabeledImagePairs(options: ImagePairJobsOptions): Promise<LabeledImagePairs> {
  const { captions, shardSize: _shardSize, ...rest } = options;
  if (!Array.isArray(captions) || captions.length === 0)
    throw new InvalidArgumentError('options.captions', 'a non-empty array of captions', captions);
  const shardSize = requireInteger('options.shardSize', options.shardSize, { min: 1 });
  const batchSize = requireInteger('options.sampler.batchSize', options.sampler.batchSize, { min: 1 });
  if ((2 * shardSize) % batchSize !== 0)
    throw new InvalidArgumentError(
      'options.shardSize',
      `a size whose images (2 x shardSize = ${2 * shardSize}) are a multiple of sampler.batchSize ${batchSize}`,
      shardSize,
    );
  const payloads: DiffusionPairsPayload[] = [];
  for (let start = 0; start < captions.length; start += shardSize) {
    payloads.push({
      model: rest.model,
      captions: captions.slice(start, start + shardSize),
      firstIndex: start,
      seed: rest.seed,
      sampler: rest.sampler,
      labeler: rest.labeler,
      ...(rest.tieMargin === undefined ? {} : { tieMargin: rest.tieMargin }),
      backend: rest.backend,
    });
  }
  const outcomes = await runJobs({
    ...options,
    jobs: payloads.map((payload) => ({
      kind: DIFFUSION_PAIRS_KIND,
      payload,
      estimateSeconds: payload.captions.length,
    })),
  });
  let imageShape: ImageShape | undefined;
  const records = outcomes.flatMap((outcome, j) => {
    if (outcome.status === 'failed')
      throw new DPOTSError(`${DIFFUSION_PAIRS_KIND} shard ${j} of ${payloads.length} failed: ${outcome.error}`);
    const result = outcome.result as DiffusionPairsResult | null;
    const shard = payloads[j]!;
    if (!Array.isArray(result?.pairs) || result.pairs.length !== shard.captions.length)
      throw new InvalidArgumentError(
        `result of ${DIFFUSION_PAIRS_KIND} shard ${j}.pairs`,
        `an array of ${shard.captions.length} pairs`,
        result?.pairs,
      );
    imageShape ??= result.imageShape;
    return result.pairs.map(
      (pair, i): CaptionPreferenceInput => ({
        caption: shard.captions[i]!,
        image0: pngPixels(pair.png0, result.imageShape, `shard ${j} pair ${i} png0`),
        image1: pngPixels(pair.png1, result.imageShape, `shard ${j} pair ${i} png1`),
        label0: pair.label0,
        extra: pair.extra,
      }),
    );
  });
  return { records, imageShape: imageShape! };
}

/** A base64 PNG of a job's result as host values in [-1, 1] (diffusion's `decodeImage`). */
function pngPixels(base64: string, imageShape: ImageShape, where: string): Float32Array {
  const image = decodeImage(Buffer.from(base64, 'base64'), imageShape[2] === 1 ? 1 : 3, where);
  try {
    return image.dataSync() as Float32Array;
  } finally {
    image.dispose();
  }
}
