import * as tf from '@tensorflow/tfjs-core';
import {
  InvalidArgumentError,
  requireInteger,
  requireNumber,
  type Checkpointable,
  type NamedVariables,
} from '@dpo-ts/core';
import { Rng } from '@dpo-ts/core/training';
import { countParameters, type ImageShape } from '../denoiser.js';
import { ParameterStore } from '../nn/parameter-store.js';
import { conv2d, createConv, silu, type ConvParams } from '../nn/layers.js';
import { createGroupNorm, groupNorm, type GroupNormParams } from '../nn/group-norm.js';
import { createPlainResBlock, plainResBlock, upsampleConv, type PlainResBlockParams } from './autoencoder-blocks.js';

/** Configuration of {@link LatentAutoencoder}. */
export interface LatentAutoencoderConfig {
  /** `[height, width, channels]` of the images. @defaultValue [32, 32, 3] */
  readonly imageShape: ImageShape;
  /**
   * Channels per resolution level; each level after the first halves height and width, so
   * [32, 64, 64] maps 32x32 -> 16x16 -> 8x8 (a downsampling factor f = 4).
   * @defaultValue [32, 64, 64]
   */
  readonly channels: readonly number[];
  /** Channels of the latent. @defaultValue 4 (Stable Diffusion's) */
  readonly latentChannels: number;
  /** GroupNorm groups; must divide every level's channels. @defaultValue 8 */
  readonly groups: number;
  /** Seed of the initial weights. @defaultValue 0 */
  readonly seed: number;
}

/** 32x32x3 -> 8x8x4, ~0.39M weights. */
export const DEFAULT_LATENT_AUTOENCODER_CONFIG: LatentAutoencoderConfig = Object.freeze({
  imageShape: Object.freeze([32, 32, 3] as const),
  channels: Object.freeze([32, 64, 64]),
  latentChannels: 4,
  groups: 8,
  seed: 0,
});

/** Merges over {@link DEFAULT_LATENT_AUTOENCODER_CONFIG} and validates every field. */
export function resolveLatentAutoencoderConfig(config: Partial<LatentAutoencoderConfig> = {}): LatentAutoencoderConfig {
  const merged = { ...DEFAULT_LATENT_AUTOENCODER_CONFIG, ...config };
  const shape: unknown = merged.imageShape;
  if (!Array.isArray(shape) || shape.length !== 3 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new InvalidArgumentError('autoencoder.imageShape', '[height, width, channels] of positive integers', shape);
  }
  const channels: unknown = merged.channels;
  if (!Array.isArray(channels) || channels.length < 1 || channels.some((c) => !Number.isInteger(c) || c < 1)) {
    throw new InvalidArgumentError('autoencoder.channels', 'a non-empty array of positive integers', channels);
  }
  requireInteger('autoencoder.latentChannels', merged.latentChannels, { min: 1 });
  requireInteger('autoencoder.groups', merged.groups, { min: 1 });
  requireInteger('autoencoder.seed', merged.seed);
  const factor = 2 ** (channels.length - 1);
  if (shape[0] % factor !== 0 || shape[1] % factor !== 0) {
    throw new InvalidArgumentError(
      'autoencoder.imageShape',
      `height and width divisible by ${factor} (${channels.length} levels)`,
      shape,
    );
  }
  for (const c of channels as number[]) {
    if (c % merged.groups !== 0)
      throw new InvalidArgumentError('autoencoder.groups', `a divisor of every level's channels (${c})`, merged.groups);
  }
  return Object.freeze({
    ...merged,
    imageShape: Object.freeze([...shape]) as unknown as ImageShape,
    channels: Object.freeze([...(channels as number[])]),
  });
}

/** The encoder's output: a diagonal Gaussian over latents, both `[batch, h/f, w/f, latentChannels]`. */
export interface LatentDistribution {
  /** Posterior mean of the latent, `[b, h / f, w / f, latentChannels]` (unscaled). */
  readonly mean: tf.Tensor4D;
  /** log sigma^2, clipped to [-30, 20] as Stable Diffusion's `DiagonalGaussianDistribution`. */
  readonly logVariance: tf.Tensor4D;
}

/**
 * A small convolutional autoencoder for latent diffusion, Stable Diffusion's `AutoencoderKL`
 * shape at emoji scale: the encoder maps `[b, 32, 32, 3]` images in [-1, 1] to a diagonal
 * Gaussian over `[b, 8, 8, 4]` latents (input conv; per further level a stride-2 conv and a
 * residual block; GroupNorm, SiLU and a conv to mean and log-variance); the decoder mirrors it
 * with nearest-neighbour + conv up-sampling. No attention block (8x8 is small), no
 * perceptual or adversarial loss (see {@link autoencoderLoss}).
 *
 * Latents for the denoiser are `scalingFactor * mean` (see {@link computeLatentScalingFactor});
 * the factor is stored beside the weights, not in this class.
 *
 * Weight names: `enc.in.conv`, `enc.down.{level}.conv`, `enc.down.{level}.res.*`, `enc.out.norm`,
 * `enc.out.conv`, `dec.in.conv`, `dec.mid.res.*`, `dec.up.{level}.conv`, `dec.up.{level}.res.*`,
 * `dec.out.norm`, `dec.out.conv`. Trains on wasm with core's conv2d gradient override.
 *
 * @see Rombach et al. 2022, "High-Resolution Image Synthesis with Latent Diffusion Models", Sec. 3.1.
 */
export class LatentAutoencoder implements Checkpointable {
  /** The resolved configuration, every default filled in; frozen. */
  readonly config: LatentAutoencoderConfig;
  /** `[h / f, w / f, latentChannels]`. */
  readonly latentShape: ImageShape;
  private readonly store: ParameterStore;
  private readonly encoderIn: ConvParams;
  private readonly encoderDown: { conv: ConvParams; res: PlainResBlockParams }[] = [];
  private readonly encoderNorm: GroupNormParams;
  private readonly encoderOut: ConvParams;
  private readonly decoderIn: ConvParams;
  private readonly decoderMid: PlainResBlockParams;
  private readonly decoderUp: { conv: ConvParams; res: PlainResBlockParams | undefined }[] = [];
  private readonly decoderNorm: GroupNormParams;
  private readonly decoderOut: ConvParams;

  /**
   * Builds encoder and decoder with fresh weights from `config.seed` (it owns them; {@link LatentAutoencoder.dispose} frees them).
   * @param config - every field optional, over the defaults.
   * @throws InvalidArgumentError naming the field when invalid.
   */
  constructor(config: Partial<LatentAutoencoderConfig> = {}) {
    this.config = resolveLatentAutoencoderConfig(config);
    const { imageShape, channels, latentChannels, groups } = this.config;
    const levels = channels.length;
    const factor = 2 ** (levels - 1);
    this.latentShape = Object.freeze([
      imageShape[0] / factor,
      imageShape[1] / factor,
      latentChannels,
    ]) as unknown as ImageShape;
    const store = new ParameterStore(new Rng(this.config.seed));
    this.store = store;
    this.encoderIn = createConv(store, 'enc.in.conv', 3, imageShape[2], channels[0]!);
    for (let level = 1; level < levels; level++) {
      this.encoderDown.push({
        conv: createConv(store, `enc.down.${level}.conv`, 3, channels[level - 1]!, channels[level]!),
        res: createPlainResBlock(store, `enc.down.${level}.res`, channels[level]!, groups),
      });
    }
    const deepest = channels[levels - 1]!;
    this.encoderNorm = createGroupNorm(store, 'enc.out.norm', deepest, groups);
    this.encoderOut = createConv(store, 'enc.out.conv', 3, deepest, 2 * latentChannels);
    this.decoderIn = createConv(store, 'dec.in.conv', 3, latentChannels, deepest);
    this.decoderMid = createPlainResBlock(store, 'dec.mid.res', deepest, groups);
    for (let level = levels - 1; level >= 1; level--) {
      this.decoderUp.push({
        conv: createConv(store, `dec.up.${level}.conv`, 3, channels[level]!, channels[level - 1]!),
        res:
          level - 1 >= 1 ? createPlainResBlock(store, `dec.up.${level}.res`, channels[level - 1]!, groups) : undefined,
      });
    }
    this.decoderNorm = createGroupNorm(store, 'dec.out.norm', channels[0]!, groups);
    this.decoderOut = createConv(store, 'dec.out.conv', 3, channels[0]!, imageShape[2]);
  }

  /**
   * The posterior q(z | x): `[b, h, w, c]` images in [-1, 1] -> mean and log-variance, each
   * `[b, h/f, w/f, latentChannels]`. Differentiable; the caller disposes both tensors.
   */
  encode(images: tf.Tensor4D): LatentDistribution {
    const [mean, logVariance] = tf.tidy(() => {
      let h = conv2d(this.encoderIn, images);
      for (const level of this.encoderDown) h = plainResBlock(level.res, conv2d(level.conv, h, 2));
      const moments = conv2d(this.encoderOut, silu(groupNorm(this.encoderNorm, h))); // [b, h/f, w/f, 2 * latent]
      const [m, v] = tf.split(moments, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
      return [m, tf.clipByValue(v, -30, 20)];
    });
    return { mean: mean!, logVariance: logVariance! };
  }

  /** The posterior mean only, `[b, h/f, w/f, latentChannels]` (unscaled); the caller disposes it. */
  encodeMean(images: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const { mean, logVariance } = this.encode(images);
      logVariance.dispose();
      return mean;
    });
  }

  /** `[b, h/f, w/f, latentChannels]` latents (unscaled) -> `[b, h, w, c]` images (unbounded; ~[-1, 1]). Caller disposes. */
  decode(latents: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let h = plainResBlock(this.decoderMid, conv2d(this.decoderIn, latents));
      for (const level of this.decoderUp) {
        h = upsampleConv(level.conv, h);
        if (level.res !== undefined) h = plainResBlock(level.res, h);
      }
      return conv2d(this.decoderOut, silu(groupNorm(this.decoderNorm, h)));
    });
  }

  /** Every weight by stable name. */
  namedVariables(): NamedVariables {
    return this.store.namedVariables();
  }

  /** Number of scalar weights. */
  parameterCount(): number {
    return countParameters(this.store.namedVariables().values());
  }

  /** Disposes every weight; the model is unusable afterwards. */
  dispose(): void {
    for (const variable of this.store.namedVariables().values()) variable.dispose();
  }
}

/** `requireNumber` for a scaling factor: finite and > 0. */
export function requireScalingFactor(argument: string, value: unknown): number {
  return requireNumber(argument, value, { min: 0, exclusiveMin: true });
}
