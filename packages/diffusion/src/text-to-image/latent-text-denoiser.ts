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
import { conv2d, createConv, createDense, dense, silu, type ConvParams, type DenseParams } from '../nn/layers.js';
import { createGroupNorm, groupNorm, type GroupNormParams } from '../nn/group-norm.js';
import { timestepEmbedding } from '../nn/timestep-embedding.js';

/** Configuration of {@link LatentTextDenoiser}. */
export interface LatentTextDenoiserConfig {
  /** `[h, w, c]` of the (scaled) latents. @defaultValue [8, 8, 4] */
  readonly latentShape: ImageShape;
  /** Width of the caption embedding it is conditioned on (the caption encoder's `dim`). @defaultValue 64 */
  readonly textDim: number;
  /** Channels of every residual block. @defaultValue 64 */
  readonly channels: number;
  /** FiLM residual blocks, all at the latent resolution (8x8 needs no down-sampling). @defaultValue 4 */
  readonly blocks: number;
  /** GroupNorm groups. @defaultValue 8 */
  readonly groups: number;
  /** Probability of replacing a caption by the learned null embedding in training (CFG). @defaultValue 0.1 */
  readonly cfgDropProb: number;
  /** @defaultValue 0 */
  readonly seed: number;
}

/** Defaults of {@link LatentTextDenoiserConfig}. */
export const DEFAULT_LATENT_TEXT_DENOISER_CONFIG: LatentTextDenoiserConfig = Object.freeze({
  latentShape: Object.freeze([8, 8, 4] as const),
  textDim: 64,
  channels: 64,
  blocks: 4,
  groups: 8,
  cfgDropProb: 0.1,
  seed: 0,
});

/** Merges over the defaults and validates every field. */
export function resolveLatentTextDenoiserConfig(
  config: Partial<LatentTextDenoiserConfig> = {},
): LatentTextDenoiserConfig {
  const merged = { ...DEFAULT_LATENT_TEXT_DENOISER_CONFIG, ...config };
  const shape: unknown = merged.latentShape;
  if (!Array.isArray(shape) || shape.length !== 3 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new InvalidArgumentError('denoiser.latentShape', '[height, width, channels] of positive integers', shape);
  }
  requireInteger('denoiser.textDim', merged.textDim, { min: 1 });
  requireInteger('denoiser.channels', merged.channels, { min: 1 });
  requireInteger('denoiser.blocks', merged.blocks, { min: 1 });
  requireInteger('denoiser.groups', merged.groups, { min: 1 });
  requireNumber('denoiser.cfgDropProb', merged.cfgDropProb, { min: 0, max: 1 });
  requireInteger('denoiser.seed', merged.seed);
  if (merged.channels % merged.groups !== 0)
    throw new InvalidArgumentError('denoiser.groups', `a divisor of channels (${merged.channels})`, merged.groups);
  return Object.freeze({ ...merged, latentShape: Object.freeze([...shape]) as unknown as ImageShape });
}

interface FiLMBlock {
  readonly norm1: GroupNormParams;
  readonly conv1: ConvParams;
  readonly film: DenseParams;
  readonly norm2: GroupNormParams;
  readonly conv2: ConvParams;
}

/**
 * An epsilon-prediction network on latents conditioned on a caption embedding by FiLM: the
 * embedding e = MLP(sinusoid(t)) + W text (text = a pooled caption embedding, or the learned
 * null embedding for the unconditional branch of classifier-free guidance) gives every
 * residual block a per-channel scale and shift of its second normalisation,
 * h = conv2(silu(gn2(h) (1 + scale(e)) + shift(e))), Dhariwal & Nichol's "scale-shift norm".
 * Blocks: input conv, `blocks` FiLM residual blocks at the latent resolution, GroupNorm, SiLU
 * and a zero-initialised output conv. ~0.40M weights with the defaults.
 *
 * Weight names: `in.conv`, `emb.time.{0,1}`, `emb.text`, `null_text`, `block.{i}.{norm1,conv1,film,norm2,conv2}`,
 * `out.norm`, `out.conv`.
 *
 * @see Perez et al. 2018 (FiLM); Dhariwal & Nichol 2021, Sec. 3 (AdaGN); Ho & Salimans 2022 (CFG).
 */
export class LatentTextDenoiser implements Checkpointable {
  /** The resolved configuration, every default filled in; frozen. */
  readonly config: LatentTextDenoiserConfig;
  private readonly store: ParameterStore;
  private readonly inputConv: ConvParams;
  private readonly time1: DenseParams;
  private readonly time2: DenseParams;
  private readonly textProjection: DenseParams;
  /** `[textDim]`: the "no caption" embedding. */
  readonly nullText: tf.Variable;
  private readonly blockParams: FiLMBlock[] = [];
  private readonly outNorm: GroupNormParams;
  private readonly outConv: ConvParams;

  /**
   * Builds the denoiser with fresh weights from `config.seed` (it owns them; {@link LatentTextDenoiser.dispose} frees them).
   * @param config - every field optional, over the defaults.
   * @throws InvalidArgumentError naming the field when invalid.
   */
  constructor(config: Partial<LatentTextDenoiserConfig> = {}) {
    this.config = resolveLatentTextDenoiserConfig(config);
    const { latentShape, textDim, channels, blocks, groups } = this.config;
    const embedDim = 2 * channels;
    const store = new ParameterStore(new Rng(this.config.seed));
    this.store = store;
    this.inputConv = createConv(store, 'in.conv', 3, latentShape[2], channels);
    this.time1 = createDense(store, 'emb.time.0', channels, embedDim);
    this.time2 = createDense(store, 'emb.time.1', embedDim, embedDim);
    this.textProjection = createDense(store, 'emb.text', textDim, embedDim);
    this.nullText = store.normal('null_text', [textDim], 0.02);
    for (let i = 0; i < blocks; i++) {
      this.blockParams.push({
        norm1: createGroupNorm(store, `block.${i}.norm1`, channels, groups),
        conv1: createConv(store, `block.${i}.conv1`, 3, channels, channels),
        film: createDense(store, `block.${i}.film`, embedDim, 2 * channels, true),
        norm2: createGroupNorm(store, `block.${i}.norm2`, channels, groups),
        conv2: createConv(store, `block.${i}.conv2`, 3, channels, channels, true),
      });
    }
    this.outNorm = createGroupNorm(store, 'out.norm', channels, groups);
    this.outConv = createConv(store, 'out.conv', 3, channels, latentShape[2], true);
  }

  /**
   * Predicts the noise of `[b, h, w, c]` noisy latents at `[b]` float32 timesteps given `[b, textDim]`
   * caption embeddings (rows of the null embedding for the unconditional branch).
   * Differentiable; the caller disposes the result.
   */
  predictNoise(noisyLatents: tf.Tensor4D, timesteps: tf.Tensor1D, text: tf.Tensor2D): tf.Tensor4D {
    const [batch] = noisyLatents.shape;
    if (text.shape[0] !== batch || text.shape[1] !== this.config.textDim) {
      throw new InvalidArgumentError('text', `[${batch}, ${this.config.textDim}]`, `[${text.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const time = dense(this.time2, silu(dense(this.time1, timestepEmbedding(timesteps, this.config.channels))));
      const embedding: tf.Tensor2D = silu(tf.add(time, dense(this.textProjection, text))); // [b, 2C]
      const channels = this.config.channels;
      let h = conv2d(this.inputConv, noisyLatents);
      for (const block of this.blockParams) {
        const inner = conv2d(block.conv1, silu(groupNorm(block.norm1, h)));
        const [scale, shift] = tf.split(tf.reshape(dense(block.film, embedding), [batch, 1, 1, 2 * channels]), 2, 3);
        const modulated: tf.Tensor4D = tf.add(tf.mul(groupNorm(block.norm2, inner), tf.add(1, scale!)), shift!);
        h = tf.add(h, conv2d(block.conv2, silu(modulated)));
      }
      return conv2d(this.outConv, silu(groupNorm(this.outNorm, h)));
    });
  }

  /**
   * Classifier-free-guidance dropout: each row of `text` is replaced by the null embedding with
   * probability `cfgDropProb` (draws from `rng`, one per row). `[b, textDim]` -> `[b, textDim]`,
   * differentiable in `text` and `nullText`; the caller disposes it.
   * @see Ho & Salimans 2022, Algorithm 1 (p_uncond).
   */
  dropCaptions(text: tf.Tensor2D, rng: Rng, probability: number = this.config.cfgDropProb): tf.Tensor2D {
    requireNumber('probability', probability, { min: 0, max: 1 });
    const keep = Float32Array.from({ length: text.shape[0] }, () => (rng.uniform() < probability ? 0 : 1));
    return tf.tidy(() => {
      const mask = tf.tensor2d(keep, [keep.length, 1]);
      return tf.add(tf.mul(text, mask), tf.mul(tf.reshape(this.nullText, [1, -1]), tf.sub(1, mask)));
    });
  }

  /** `[batch, textDim]` copies of the null embedding; the caller disposes it. */
  nullTexts(batch: number): tf.Tensor2D {
    return tf.tidy(() => tf.tile(tf.reshape(this.nullText, [1, -1]), [batch, 1]) as tf.Tensor2D);
  }

  /** Every weight by stable name. */
  namedVariables(): NamedVariables {
    return this.store.namedVariables();
  }

  /** Number of scalar weights. */
  parameterCount(): number {
    return countParameters(this.store.namedVariables().values());
  }

  /** Disposes every weight. */
  dispose(): void {
    for (const variable of this.store.namedVariables().values()) variable.dispose();
  }
}
