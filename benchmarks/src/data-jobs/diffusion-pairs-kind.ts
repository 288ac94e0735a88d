import { InvalidArgumentError, requireNumber } from '@dpo-ts/core';
import { selectBackend, type BackendRequest } from '@dpo-ts/core/backend';
import {
  DEFAULT_TIE_MARGIN,
  NoiseSchedule,
  encodeImageGrid,
  labelPairs,
  loadEmojiDataset,
  loadTextToImageTrainedModel,
  splitEmojiDataset,
  type ImageShape,
  type NoiseSchedule as Schedule,
  type ScaledAutoencoder,
  type TextToImageModel,
} from '@dpo-ts/diffusion';
import type { JobKind } from '@dpo-ts/queue';
import { loadTextToImageBase } from '../text-to-image/base-model.js';
import { samplePairedImages, type SamplerOptions } from '../text-to-image/sampler.js';
import { type ImageLabelerSpec, openImageLabeler, validateImageLabelerSpec } from './image-labelers.js';
import { PayloadFields } from './payload-fields.js';

/** Name of the job kind that samples and labels a shard of image pairs. */
export const DIFFUSION_PAIRS_KIND = 'pairs/diffusion';

/** The `model` of a payload that means the committed text-to-image base (`loadTextToImageBase`), not a directory. */
export const EMOJI_BASE_MODEL = 'emoji-base';

/** A shard of captions to draw image pairs for and label. */
export interface DiffusionPairsPayload {
  /**
   * A directory written by `saveTextToImageTrainedModel` (tokenizer, caption encoder, denoiser,
   * autoencoder, schedule; readable by every worker), or {@link EMOJI_BASE_MODEL} for the
   * committed text-to-image base of the benchmark.
   */
  readonly model: string;
  /** The shard's captions, in order. */
  readonly captions: readonly string[];
  /**
   * Index of `captions[0]` among all the run's captions. Image 2i and 2i + 1 of the run show
   * caption i, and the sampler call starting at image k draws its noise from
   * `pairedNoiseSeed(seed, k)`; `2 * firstIndex` must be a multiple of `sampler.batchSize`.
   */
  readonly firstIndex: number;
  /** The run's noise seed (the text-to-image benchmark's pairs use `mixSeeds(seed, 6)`). */
  readonly seed: number;
  /** The benchmark's sampler: DDIM steps, eta, guidance scale, images per call. */
  readonly sampler: SamplerOptions;
  readonly labeler: ImageLabelerSpec;
  /** A tie (`label_0` 0.5) when |sigmoid(s_0 - s_1) - 1/2| < tieMargin. @defaultValue DEFAULT_TIE_MARGIN (0.05) */
  readonly tieMargin?: number;
  readonly backend: BackendRequest;
}

/** One labelled pair as a job returns it: the images as PNGs (what the JSONL writer stores anyway). */
export interface DiffusionPairResult {
  /** Image 0, an 8-bit PNG, base64. */
  readonly png0: string;
  /** Image 1, an 8-bit PNG, base64. */
  readonly png1: string;
  /** Pick-a-Pic's `label_0`: 1, 0 or 0.5 (tie). */
  readonly label0: 0 | 0.5 | 1;
  /** `labeler`, `score_0`, `score_1`, `p_0` of diffusion's `labelPairs`. */
  readonly extra: Readonly<Record<string, unknown>>;
}

/** Per caption of the shard, in order, its labelled pair; and the images' shape. */
export interface DiffusionPairsResult {
  readonly pairs: readonly DiffusionPairResult[];
  readonly imageShape: ImageShape;
}

/** Checks a {@link DiffusionPairsPayload} from the queue, naming the bad field. */
export function validateDiffusionPairsPayload(payload: unknown): DiffusionPairsPayload {
  const p = new PayloadFields(payload);
  p.string('model');
  p.strings('captions');
  const firstIndex = p.integer('firstIndex', { min: 0 });
  p.integer('seed', { min: 0, max: 2 ** 32 - 1 });
  const sampler = p.object('sampler');
  sampler.integer('numSteps', { min: 1 });
  requireNumber('payload.sampler.eta', sampler.raw('eta'), { min: 0 });
  requireNumber('payload.sampler.guidanceScale', sampler.raw('guidanceScale'), { min: 0 });
  const batchSize = sampler.integer('batchSize', { min: 1 });
  if ((2 * firstIndex) % batchSize !== 0)
    throw new InvalidArgumentError(
      'payload.firstIndex',
      `an index whose first image (2 x firstIndex) starts a sampler call: 2 x firstIndex a multiple of sampler.batchSize ${batchSize}`,
      firstIndex,
    );
  validateImageLabelerSpec(p.raw('labeler'));
  if (p.raw('tieMargin') !== undefined) requireNumber('payload.tieMargin', p.raw('tieMargin'), { min: 0, max: 0.5 });
  p.backend();
  return payload as DiffusionPairsPayload;
}

/** The model a payload names, with its autoencoder and schedule. The caller disposes the three networks. */
async function loadModel(
  model: string,
): Promise<{ model: TextToImageModel; autoencoder: ScaledAutoencoder; schedule: Schedule }> {
  if (model === EMOJI_BASE_MODEL) {
    const split = splitEmojiDataset(await loadEmojiDataset(), { heldOutFraction: 0.1, seed: 0 });
    const base = await loadTextToImageBase(split);
    return { model: base.model, autoencoder: base.autoencoder, schedule: new NoiseSchedule() };
  }
  const { tokenizer, encoder, denoiser, autoencoder, schedule } = await loadTextToImageTrainedModel(model);
  return { model: { tokenizer, encoder, denoiser }, autoencoder, schedule };
}

/**
 * Draws two images per caption with the text-to-image benchmark's sampler (`samplePairedImages`
 * over the captions doubled, image 2i and 2i + 1 for caption i, counted from `2 * firstIndex`, so
 * a shard's images equal those of one run over every caption), and labels each pair with
 * diffusion's `labelPairs` (Pick-a-Pic's `label_0`, ties within `tieMargin`). Frees the model and
 * the labeler's network.
 */
export async function runDiffusionPairsShard(payload: DiffusionPairsPayload): Promise<DiffusionPairsResult> {
  const { model, autoencoder, schedule } = await loadModel(payload.model);
  try {
    const doubled = payload.captions.flatMap((caption) => [caption, caption]);
    const images = await samplePairedImages(
      model,
      autoencoder,
      schedule,
      doubled,
      payload.seed,
      payload.sampler,
      2 * payload.firstIndex,
    );
    const imageShape = autoencoder.autoencoder.config.imageShape;
    const size = imageShape[0] * imageShape[1] * imageShape[2];
    const unlabelled = payload.captions.map((caption, i) => ({
      caption,
      image0: images.subarray(2 * i * size, (2 * i + 1) * size),
      image1: images.subarray((2 * i + 1) * size, (2 * i + 2) * size),
    }));
    const labeler = await openImageLabeler(payload.labeler);
    try {
      const records = await labelPairs(labeler.labeler, unlabelled, imageShape, {
        tieMargin: payload.tieMargin ?? DEFAULT_TIE_MARGIN,
      });
      const png = (image: Float32Array) =>
        Buffer.from(encodeImageGrid({ data: image, shape: [1, ...imageShape] }, { padding: 0 })).toString('base64');
      return {
        pairs: records.map((record) => ({
          png0: png(record.image0),
          png1: png(record.image1),
          label0: record.label0,
          extra: record.extra ?? {},
        })),
        imageShape,
      };
    } finally {
      labeler.dispose();
    }
  } finally {
    for (const network of [model.encoder, model.denoiser, autoencoder.autoencoder]) network.dispose();
  }
}

/** The `pairs/diffusion` job kind ({@link runDiffusionPairsShard}). */
export const diffusionPairsKind: JobKind<DiffusionPairsPayload, DiffusionPairsResult> = {
  name: DIFFUSION_PAIRS_KIND,
  validate: validateDiffusionPairsPayload,
  async run(payload) {
    await selectBackend({ backend: payload.backend, gradientOverrides: 'default', quiet: true });
    return runDiffusionPairsShard(payload);
  },
};
