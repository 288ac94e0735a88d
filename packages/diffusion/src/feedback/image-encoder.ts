import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, requireInteger } from '@dpo-ts/core';
import type { ImageShape } from '../denoiser.js';
import { createGroupNorm, groupNorm, type GroupNormParams } from '../nn/group-norm.js';
import { conv2d, createConv, createDense, dense, silu, type ConvParams, type DenseParams } from '../nn/layers.js';
import type { ParameterStore } from '../nn/parameter-store.js';

/** Configuration of {@link ImageEncoder}. */
export interface ImageEncoderConfig {
  /** `[h, w, c]` of the images, in [-1, 1]. @defaultValue [32, 32, 3] */
  readonly imageShape: ImageShape;
  /** Channels per level; every level after the first halves the resolution (stride-2 conv). @defaultValue [16, 32, 64] */
  readonly channels: readonly number[];
  /** Width of the output vector. @defaultValue 64 */
  readonly outputDim: number;
  /** GroupNorm groups; must divide every level's channels. @defaultValue 8 */
  readonly groups: number;
}

/** Defaults of {@link ImageEncoderConfig}: 32x32 -> 8x8x64 -> 64, ~0.3M weights. */
export const DEFAULT_IMAGE_ENCODER_CONFIG: ImageEncoderConfig = Object.freeze({
  imageShape: Object.freeze([32, 32, 3] as const),
  channels: Object.freeze([16, 32, 64]),
  outputDim: 64,
  groups: 8,
});

/** Merges over the defaults and validates every field; `prefix` names the config in messages. */
export function resolveImageEncoderConfig(
  config: Partial<ImageEncoderConfig> = {},
  prefix = 'imageEncoder',
): ImageEncoderConfig {
  const merged = { ...DEFAULT_IMAGE_ENCODER_CONFIG, ...config };
  const channels: unknown = merged.channels;
  if (!Array.isArray(channels) || channels.length < 1 || channels.some((c) => !Number.isInteger(c) || c < 1))
    throw new InvalidArgumentError(`${prefix}.channels`, 'a non-empty array of positive integers', channels);
  requireInteger(`${prefix}.outputDim`, merged.outputDim, { min: 1 });
  requireInteger(`${prefix}.groups`, merged.groups, { min: 1 });
  for (const c of channels as number[])
    if (c % merged.groups !== 0)
      throw new InvalidArgumentError(`${prefix}.groups`, `a divisor of every level's channels (${c})`, merged.groups);
  return Object.freeze({ ...merged, channels: Object.freeze([...(channels as number[])]) });
}

/**
 * A small convolutional image tower (CLIP's image encoder at emoji scale; also the style
 * classifiers' backbone): an input conv, per level a (stride-2 after the first) conv, GroupNorm
 * and SiLU, then the flattened final map and a linear map to `outputDim` (position-aware, as
 * CLIP's attention pooling is; a global mean pool cannot tell where a shape sits and, after
 * GroupNorm, barely tells flat colours apart).
 * `[b, h, w, c]` in [-1, 1] -> `[b, outputDim]`. Weights live in the caller's
 * parameter store (`ParameterStore`, internal) under `<name>.level.{i}.{conv,norm}` and `<name>.out`.
 *
 * @see Radford et al. 2021, Sec. 2.4 (CLIP's image encoders; a ResNet there).
 */
export class ImageEncoder {
  /** The resolved configuration, every default filled in; frozen. */
  readonly config: ImageEncoderConfig;
  private readonly levels: { conv: ConvParams; norm: GroupNormParams }[] = [];
  private readonly output: DenseParams;

  /**
   * @internal Built by `EmojiCLIP` and `StyleClassifier` inside their own parameter store,
   * which owns (and disposes) the weights.
   */
  constructor(store: ParameterStore, name: string, config: Partial<ImageEncoderConfig> = {}) {
    this.config = resolveImageEncoderConfig(config);
    let inputs = this.config.imageShape[2];
    const factor = 2 ** (this.config.channels.length - 1);
    const [height, width] = this.config.imageShape;
    if (height % factor !== 0 || width % factor !== 0)
      throw new InvalidArgumentError(
        `${name}.imageShape`,
        `height and width divisible by ${factor}`,
        this.config.imageShape,
      );
    this.config.channels.forEach((channels, i) => {
      this.levels.push({
        conv: createConv(store, `${name}.level.${i}.conv`, 3, inputs, channels),
        norm: createGroupNorm(store, `${name}.level.${i}.norm`, channels, this.config.groups),
      });
      inputs = channels;
    });
    this.output = createDense(store, `${name}.out`, (inputs * height * width) / factor ** 2, this.config.outputDim);
  }

  /** `[b, h, w, c]` -> `[b, outputDim]`; differentiable; the caller disposes it. */
  encode(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      let h = images;
      this.levels.forEach((level, i) => {
        h = silu(groupNorm(level.norm, conv2d(level.conv, h, i === 0 ? 1 : 2)));
      });
      return dense(this.output, tf.reshape(h, [h.shape[0], -1]) as tf.Tensor2D); // [b, h', w', C] -> [b, h'w'C] -> [b, outputDim]
    });
  }
}
