import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, requireBoolean, requireInteger, type NamedVariables } from '@dpo-ts/core';
import { Rng } from '@dpo-ts/core/training';
import { requireBackend } from '@dpo-ts/core/backend';
import {
  countParameters,
  validateDenoiserBase,
  type Denoiser,
  type DenoiserConfigBase,
  type ImageShape,
} from './denoiser.js';
import { ParameterStore } from './nn/parameter-store.js';
import { conv2d, createConv, createDense, dense, silu, type ConvParams, type DenseParams } from './nn/layers.js';
import { createGroupNorm, groupNorm, type GroupNormParams } from './nn/group-norm.js';
import { conditioning, createConditioning, type ConditioningParams } from './nn/conditioning.js';
import {
  createDownsample,
  createResBlock,
  createUpsample,
  downsample,
  resBlock,
  upsample,
  type ResBlockParams,
} from './unet-blocks.js';

/** Configuration of {@link UNet}. */
export interface UNetConfig extends DenoiserConfigBase {
  /**
   * Channels of the first level; level i has baseChannels * channelMultipliers[i].
   * 16 gives ~0.26M weights (wasm, batch 32: ~0.3-0.5 s forward, ~1-2 s training step);
   * 32 gives ~1.05M weights at ~4x the cost.
   * @defaultValue 16
   */
  readonly baseChannels: number;
  /**
   * One entry per resolution level; each level after the first halves height and width
   * (28 -> 14 -> 7 with three levels), so both must be divisible by 2^(levels - 1).
   * @defaultValue [1, 2, 2]
   */
  readonly channelMultipliers: readonly number[];
  /** Residual blocks per level on the way down (the way up has one more). @defaultValue 1 */
  readonly resBlocksPerLevel: number;
  /** GroupNorm groups; must divide every level's channel count. @defaultValue 8 */
  readonly groups: number;
  /** Zero-init the last conv of every residual block and the output conv (Ho et al.). @defaultValue true */
  readonly zeroInit: boolean;
  /**
   * Add g(t, c) x_t to the output, g a learned scalar per example from the embedding (zero at
   * init). eps = x_t / sqrt(1 - abar_t) - sqrt(abar_t / (1 - abar_t)) x_0 is mostly a scaled copy
   * of the input at high noise, where errors are amplified most in sampling (x0_hat divides by
   * sqrt(abar_t) ~ 0.01); the skip gives that path directly, as the c_skip term of Karras et al.
   * 2022's preconditioning does. Not in Ho et al.'s UNet.
   * @defaultValue true
   */
  readonly inputSkip: boolean;
}

/** An MNIST-sized UNet: 28 -> 14 -> 7, channels 16/32/32, ~0.26M weights. */
export const DEFAULT_UNET_CONFIG: UNetConfig = Object.freeze({
  imageShape: Object.freeze([28, 28, 1] as const),
  numClasses: 10,
  cfgDropProb: 0.1,
  seed: 0,
  baseChannels: 16,
  channelMultipliers: Object.freeze([1, 2, 2]),
  resBlocksPerLevel: 1,
  groups: 8,
  zeroInit: true,
  inputSkip: true,
});

/** Merges over {@link DEFAULT_UNET_CONFIG} and validates every field. */
export function resolveUNetConfig(config: Partial<UNetConfig> = {}): UNetConfig {
  const merged = { ...DEFAULT_UNET_CONFIG, ...config };
  validateDenoiserBase('unet', merged);
  requireInteger('unet.baseChannels', merged.baseChannels, { min: 1 });
  requireInteger('unet.resBlocksPerLevel', merged.resBlocksPerLevel, { min: 1 });
  requireInteger('unet.groups', merged.groups, { min: 1 });
  requireBoolean('unet.zeroInit', merged.zeroInit);
  requireBoolean('unet.inputSkip', merged.inputSkip);
  const multipliers: unknown = merged.channelMultipliers;
  if (!Array.isArray(multipliers) || multipliers.length < 1 || multipliers.some((m) => !Number.isInteger(m) || m < 1)) {
    throw new InvalidArgumentError('unet.channelMultipliers', 'a non-empty array of positive integers', multipliers);
  }
  const factor = 2 ** (multipliers.length - 1);
  const [height, width] = merged.imageShape;
  if (height % factor !== 0 || width % factor !== 0) {
    throw new InvalidArgumentError(
      'unet.imageShape',
      `height and width divisible by ${factor} (${multipliers.length} levels)`,
      merged.imageShape,
    );
  }
  for (const m of multipliers as number[]) {
    if ((merged.baseChannels * m) % merged.groups !== 0) {
      throw new InvalidArgumentError(
        'unet.groups',
        `a divisor of every level's channels (${merged.baseChannels * m})`,
        merged.groups,
      );
    }
  }
  return Object.freeze({
    ...merged,
    imageShape: Object.freeze([...merged.imageShape]) as unknown as ImageShape,
    channelMultipliers: Object.freeze([...(multipliers as number[])]),
  });
}

interface Level {
  readonly blocks: ResBlockParams[];
  readonly resample: ConvParams | undefined;
}

/**
 * A small class-conditional UNet predicting epsilon, after Ho et al. 2020 (their CIFAR-10
 * model without attention and dropout): input conv; per level, residual blocks with GroupNorm
 * and SiLU, each adding a projection of the (timestep, class) embedding; stride-2 conv down,
 * nearest-neighbour + conv up, skip connections concatenated on the way up; GroupNorm, SiLU and
 * an output conv. The embedding is a sinusoid of size baseChannels -> MLP of width
 * 4 * baseChannels, plus a learned class embedding with a null class for classifier-free
 * guidance.
 *
 * Weight names (stable across runs): `in.conv`, `emb.time.{0,1}`, `emb.class`,
 * `down.{level}.res.{i}.{norm1,conv1,emb,norm2,conv2,skip}`, `down.{level}.downsample.conv`,
 * `mid.res.{0,1}.*`, `up.{level}.res.{i}.*`, `up.{level}.upsample.conv`, `out.norm`, `out.conv`,
 * `out.skip` (with `inputSkip`).
 *
 * On the wasm backend, training needs core's conv2d gradient override; everything else
 * (GroupNorm, SiLU, up-sampling, the class embedding, 1x1 projections as matmuls) trains with
 * kernels wasm has.
 *
 * @see Ho et al. 2020, Appendix B; Ronneberger et al. 2015 (U-Net); Ho & Salimans 2022 (CFG).
 */
export class UNet implements Denoiser {
  readonly kind = 'unet' as const;
  readonly config: UNetConfig;
  readonly imageShape: ImageShape;
  readonly numClasses: number;
  readonly nullClass: number;
  private readonly store: ParameterStore;
  private readonly inputConv: ConvParams;
  private readonly cond: ConditioningParams;
  private readonly down: Level[] = [];
  private readonly mid: ResBlockParams[];
  private readonly up: Level[] = [];
  private readonly outputNorm: GroupNormParams;
  private readonly outputConv: ConvParams;
  private readonly inputSkip: DenseParams | undefined;

  /**
   * Resolves `config` over the defaults and creates every weight, drawn from core's `Rng`
   * seeded with `config.seed` (same config, same weights). The UNet owns its variables and frees
   * them in {@link UNet.dispose}.
   * @throws InvalidArgumentError for a bad config field; NoBackendError before `selectBackend()`.
   */
  constructor(config: Partial<UNetConfig> = {}) {
    this.config = resolveUNetConfig(config);
    requireBackend('UNet');
    const { baseChannels, channelMultipliers, resBlocksPerLevel, groups, zeroInit, imageShape, numClasses } =
      this.config;
    this.imageShape = imageShape;
    this.numClasses = numClasses;
    this.nullClass = numClasses;
    const store = new ParameterStore(new Rng(this.config.seed));
    this.store = store;
    const embedDim = 4 * baseChannels;
    const channels = imageShape[2];
    this.inputConv = createConv(store, 'in.conv', 3, channels, baseChannels);
    this.cond = createConditioning(store, baseChannels, embedDim, numClasses);
    const skipChannels = [baseChannels];
    let current = baseChannels;
    const last = channelMultipliers.length - 1;
    channelMultipliers.forEach((multiplier, level) => {
      const outputs = baseChannels * multiplier;
      const blocks = Array.from({ length: resBlocksPerLevel }, (_, i) => {
        const block = createResBlock(store, `down.${level}.res.${i}`, current, outputs, embedDim, groups, zeroInit);
        current = outputs;
        skipChannels.push(current);
        return block;
      });
      const resample = level === last ? undefined : createDownsample(store, `down.${level}.downsample`, current);
      if (resample) skipChannels.push(current);
      this.down.push({ blocks, resample });
    });
    this.mid = [0, 1].map((i) => createResBlock(store, `mid.res.${i}`, current, current, embedDim, groups, zeroInit));
    for (let level = last; level >= 0; level--) {
      const outputs = baseChannels * channelMultipliers[level]!;
      const blocks = Array.from({ length: resBlocksPerLevel + 1 }, (_, i) => {
        const block = createResBlock(
          store,
          `up.${level}.res.${i}`,
          current + skipChannels.pop()!,
          outputs,
          embedDim,
          groups,
          zeroInit,
        );
        current = outputs;
        return block;
      });
      const resample = level === 0 ? undefined : createUpsample(store, `up.${level}.upsample`, current);
      this.up.push({ blocks, resample });
    }
    this.outputNorm = createGroupNorm(store, 'out.norm', current, groups);
    this.outputConv = createConv(store, 'out.conv', 3, current, channels, zeroInit);
    this.inputSkip = this.config.inputSkip ? createDense(store, 'out.skip', embedDim, 1, zeroInit) : undefined;
  }

  predictNoise(noisyImages: tf.Tensor4D, timesteps: tf.Tensor1D, labels: tf.Tensor1D): tf.Tensor4D {
    return tf.tidy(() => {
      const embedding = conditioning(this.cond, timesteps, labels); // [b, 4 * base]
      let h = conv2d(this.inputConv, noisyImages);
      const skips: tf.Tensor4D[] = [h];
      for (const level of this.down) {
        for (const block of level.blocks) {
          h = resBlock(block, h, embedding);
          skips.push(h);
        }
        if (level.resample) {
          h = downsample(level.resample, h); // [b, h, w, c] -> [b, h/2, w/2, c]
          skips.push(h);
        }
      }
      for (const block of this.mid) h = resBlock(block, h, embedding);
      for (const level of this.up) {
        for (const block of level.blocks) h = resBlock(block, tf.concat([h, skips.pop()!], 3), embedding);
        if (level.resample) h = upsample(level.resample, h); // [b, h, w, c] -> [b, 2h, 2w, c]
      }
      const eps = conv2d(this.outputConv, silu(groupNorm(this.outputNorm, h)));
      if (!this.inputSkip) return eps;
      const gain = tf.reshape(dense(this.inputSkip, silu(embedding)), [-1, 1, 1, 1]); // [b, 1] -> [b, 1, 1, 1]
      return tf.add(eps, tf.mul(gain, noisyImages));
    });
  }

  namedVariables(): NamedVariables {
    return this.store.namedVariables();
  }

  trainableVariables(): tf.Variable[] {
    return [...this.store.namedVariables().values()];
  }

  parameterCount(): number {
    return countParameters(this.store.namedVariables().values());
  }

  dispose(): void {
    tf.dispose(this.trainableVariables());
  }
}
