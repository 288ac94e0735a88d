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
import { createCrossAttention, crossAttention, type CrossAttentionParams } from '../nn/cross-attention.js';
import { upsampleConv } from './autoencoder-blocks.js';
import type { EncodedText } from './caption-encoder.js';

/** Configuration of {@link LatentTextDenoiser}. */
export interface LatentTextDenoiserConfig {
  /** `[h, w, c]` of the (scaled) latents. @defaultValue [8, 8, 4] */
  readonly latentShape: ImageShape;
  /** Width of the caption embedding it is conditioned on (the caption encoder's `dim`). @defaultValue 64 */
  readonly textDim: number;
  /** Channels of every residual block. @defaultValue 64 */
  readonly channels: number;
  /**
   * FiLM residual blocks: with one level, all at the latent resolution; with several, per level
   * on the way down (the way up has one block per level). @defaultValue 4
   */
  readonly blocks: number;
  /**
   * Channel multipliers per resolution level (diffusers' `block_out_channels` / `channels`):
   * `[1]`, the default, is the flat network of the first bases, every block at the latent
   * resolution; `[1, 2, 4]` is a U-Net whose levels run at h x w, h/2 x w/2 and h/4 x w/4 with
   * `channels` times 1, 2 and 4 channels, joined by skip connections. The latent height and width
   * must be divisible by 2^(levels - 1). @defaultValue [1]
   */
  readonly levels: readonly number[];
  /** GroupNorm groups. @defaultValue 8 */
  readonly groups: number;
  /** Probability of replacing a caption by the learned null embedding in training (CFG). @defaultValue 0.1 */
  readonly cfgDropProb: number;
  /**
   * Caption token vectors the denoiser cross-attends to (the caption encoder's word slots,
   * `maxLength / featuresPerToken`); 0, the default, conditions on the pooled embedding alone
   * (FiLM only, the first bases). With L > 0 the conditioning row is
   * `[pooled | tokens flattened]`, `textDim * (1 + L)` wide ({@link LatentTextDenoiser.conditionWidth}),
   * and a cross-attention layer follows every residual block. @defaultValue 0
   */
  readonly contextLength: number;
  /** Heads of every cross-attention layer; must divide every level's channels. @defaultValue 4 */
  readonly attentionHeads: number;
  /** @defaultValue 0 */
  readonly seed: number;
}

/** Defaults of {@link LatentTextDenoiserConfig}. */
export const DEFAULT_LATENT_TEXT_DENOISER_CONFIG: LatentTextDenoiserConfig = Object.freeze({
  latentShape: Object.freeze([8, 8, 4] as const),
  textDim: 64,
  channels: 64,
  blocks: 4,
  levels: Object.freeze([1]),
  groups: 8,
  cfgDropProb: 0.1,
  contextLength: 0,
  attentionHeads: 4,
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
  requireInteger('denoiser.contextLength', merged.contextLength, { min: 0 });
  requireInteger('denoiser.attentionHeads', merged.attentionHeads, { min: 1 });
  const levels: unknown = merged.levels;
  if (!Array.isArray(levels) || levels.length < 1 || levels.some((m) => !Number.isInteger(m) || m < 1)) {
    throw new InvalidArgumentError('denoiser.levels', 'a non-empty array of positive integer multipliers', levels);
  }
  const reduction = 2 ** (levels.length - 1);
  if (shape[0] % reduction !== 0 || shape[1] % reduction !== 0) {
    throw new InvalidArgumentError(
      'denoiser.levels',
      `at most as many levels as the latent ${shape[0]}x${shape[1]} can halve (2^(levels - 1) must divide both sides)`,
      levels,
    );
  }
  // Every level's width is a multiple of channels, so the groups dividing channels divide them all.
  if (merged.channels % merged.groups !== 0)
    throw new InvalidArgumentError(
      'denoiser.groups',
      `a divisor of every level's channels (${merged.channels})`,
      merged.groups,
    );
  if (merged.contextLength > 0 && merged.channels % merged.attentionHeads !== 0)
    throw new InvalidArgumentError(
      'denoiser.attentionHeads',
      `a divisor of every level's channels (${merged.channels})`,
      merged.attentionHeads,
    );
  return Object.freeze({
    ...merged,
    latentShape: Object.freeze([...shape]) as unknown as ImageShape,
    levels: Object.freeze([...(levels as number[])]),
  });
}

interface FiLMBlock {
  readonly norm1: GroupNormParams;
  readonly conv1: ConvParams;
  readonly film: DenseParams;
  readonly norm2: GroupNormParams;
  readonly conv2: ConvParams;
  /** 1x1 conv of the residual path when the block changes the channel count. */
  readonly skip?: ConvParams;
  /** Cross-attention to the caption's token vectors after the block (`contextLength` > 0). */
  readonly attention?: CrossAttentionParams;
}

/** What every block of one denoiser shares: widths and cross-attention settings. */
interface BlockShape {
  readonly embedDim: number;
  readonly groups: number;
  /** 0: no cross-attention. */
  readonly contextLength: number;
  readonly contextDim: number;
  readonly heads: number;
}

/** The U-Net's parts (levels.length > 1). */
interface UNetParams {
  /** Per level: its down blocks, then the stride-2 conv to the next level (none on the last). */
  readonly down: { readonly blocks: FiLMBlock[]; readonly downsample?: ConvParams }[];
  readonly mid: FiLMBlock;
  /** Per level, deepest first: the block over [h, skip] concatenated, then the upsampling conv (none on level 0). */
  readonly up: { readonly block: FiLMBlock; readonly upsample?: ConvParams }[];
}

function createFiLMBlock(
  store: ParameterStore,
  name: string,
  inputs: number,
  outputs: number,
  { embedDim, groups, contextLength, contextDim, heads }: BlockShape,
): FiLMBlock {
  return {
    norm1: createGroupNorm(store, `${name}.norm1`, inputs, groups),
    conv1: createConv(store, `${name}.conv1`, 3, inputs, outputs),
    film: createDense(store, `${name}.film`, embedDim, 2 * outputs, true),
    norm2: createGroupNorm(store, `${name}.norm2`, outputs, groups),
    conv2: createConv(store, `${name}.conv2`, 3, outputs, outputs, true),
    ...(inputs !== outputs ? { skip: createConv(store, `${name}.skip`, 1, inputs, outputs) } : {}),
    ...(contextLength > 0
      ? { attention: createCrossAttention(store, `${name}.attn`, outputs, contextDim, heads, groups) }
      : {}),
  };
}

/**
 * h' = skip(h) + conv2(silu(gn2(conv1(silu(gn1(h)))) (1 + scale) + shift)), scale and shift from the
 * embedding; then, with a context, h' + cross-attention(h', context).
 */
function filmBlock(
  block: FiLMBlock,
  h: tf.Tensor4D,
  embedding: tf.Tensor2D,
  context: tf.Tensor3D | undefined,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch] = h.shape;
    const outputs = block.conv1.kernel.shape[3]!;
    const inner = conv2d(block.conv1, silu(groupNorm(block.norm1, h)));
    const [scale, shift] = tf.split(tf.reshape(dense(block.film, embedding), [batch, 1, 1, 2 * outputs]), 2, 3);
    const modulated: tf.Tensor4D = tf.add(tf.mul(groupNorm(block.norm2, inner), tf.add(1, scale!)), shift!);
    const residual = block.skip !== undefined ? conv2d(block.skip, h) : h;
    const out: tf.Tensor4D = tf.add(residual, conv2d(block.conv2, silu(modulated)));
    return block.attention !== undefined && context !== undefined ? crossAttention(block.attention, out, context) : out;
  });
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
 * With several `levels` it is a U-Net (Ronneberger et al. 2015; Ho et al. 2020, Appendix B, without
 * attention): per level `blocks` FiLM blocks at `channels * levels[l]` channels, a skip saved, a
 * stride-2 3x3 conv down; a middle block; then per level, deepest first, one FiLM block over the
 * concatenation of the running features and that level's skip and a nearest 2x up-sampling 3x3
 * conv. Most weights sit at the coarse levels, where a 3x3 conv costs 1/4 (1/16) of its
 * latent-resolution FLOPs: at equal compute it holds several times the flat network's weights.
 *
 * With `contextLength` L > 0 it is conditioned as Stable Diffusion is: besides FiLM from the pooled
 * embedding, a residual cross-attention layer after every block lets each latent position attend
 * to the caption's L token vectors (multi-head, `src/nn/cross-attention.ts`), so its words can act on different
 * positions rather than blend into one vector (on the emoji base it raised held-out caption
 * retrieval, docs/text-to-image-base.md). The null condition then includes L learned null token
 * vectors. The cross-attention output projections start at zero.
 *
 * Weight names: `in.conv`, `emb.time.{0,1}`, `emb.text`, `null_text`, `out.norm`, `out.conv`, and
 * the blocks' `{norm1,conv1,film,norm2,conv2,skip}` and `attn.{norm,q,k,v,out}`: flat `block.{i}.*`;
 * U-Net `down.{l}.{i}.*`, `down.{l}.downsample`, `mid.*`, `up.{l}.*`, `up.{l}.upsample`.
 *
 * @see Perez et al. 2018 (FiLM); Dhariwal & Nichol 2021, Sec. 3 (AdaGN); Ho & Salimans 2022 (CFG);
 *   Rombach et al. 2022, Sec. 3.3 (cross-attention conditioning).
 */
export class LatentTextDenoiser implements Checkpointable {
  /** The resolved configuration, every default filled in; frozen. */
  readonly config: LatentTextDenoiserConfig;
  private readonly store: ParameterStore;
  private readonly inputConv: ConvParams;
  private readonly time1: DenseParams;
  private readonly time2: DenseParams;
  private readonly textProjection: DenseParams;
  /** `[conditionWidth]`: the "no caption" conditioning row (null pooled embedding, then null token vectors). */
  readonly nullText: tf.Variable;
  private readonly blockParams: FiLMBlock[] = [];
  private readonly unet: UNetParams | undefined;
  private readonly outNorm: GroupNormParams;
  private readonly outConv: ConvParams;

  /**
   * Builds the denoiser with fresh weights from `config.seed` (it owns them; {@link LatentTextDenoiser.dispose} frees them).
   * @param config - every field optional, over the defaults.
   * @throws InvalidArgumentError naming the field when invalid.
   */
  constructor(config: Partial<LatentTextDenoiserConfig> = {}) {
    this.config = resolveLatentTextDenoiserConfig(config);
    const { latentShape, textDim, channels, blocks, groups, contextLength, attentionHeads } = this.config;
    const embedDim = 2 * channels;
    const shape: BlockShape = { embedDim, groups, contextLength, contextDim: textDim, heads: attentionHeads };
    const store = new ParameterStore(new Rng(this.config.seed));
    this.store = store;
    this.inputConv = createConv(store, 'in.conv', 3, latentShape[2], channels);
    this.time1 = createDense(store, 'emb.time.0', channels, embedDim);
    this.time2 = createDense(store, 'emb.time.1', embedDim, embedDim);
    this.textProjection = createDense(store, 'emb.text', textDim, embedDim);
    this.nullText = store.normal('null_text', [this.conditionWidth], 0.02);
    const levels = this.config.levels;
    if (levels.length === 1) {
      for (let i = 0; i < blocks; i++)
        this.blockParams.push(createFiLMBlock(store, `block.${i}`, channels, channels, shape));
      this.unet = undefined;
    } else {
      const widths = levels.map((m) => channels * m);
      const down: UNetParams['down'][number][] = [];
      let width = channels;
      widths.forEach((levelWidth, l) => {
        const levelBlocks: FiLMBlock[] = [];
        for (let i = 0; i < blocks; i++) {
          levelBlocks.push(createFiLMBlock(store, `down.${l}.${i}`, width, levelWidth, shape));
          width = levelWidth;
        }
        const next = widths[l + 1];
        down.push({
          blocks: levelBlocks,
          ...(next !== undefined ? { downsample: createConv(store, `down.${l}.downsample`, 3, width, next) } : {}),
        });
        if (next !== undefined) width = next;
      });
      const mid = createFiLMBlock(store, 'mid', width, width, shape);
      const up: UNetParams['up'][number][] = [];
      for (let l = widths.length - 1; l >= 0; l--) {
        const levelWidth = widths[l]!;
        const block = createFiLMBlock(store, `up.${l}`, width + levelWidth, levelWidth, shape);
        width = levelWidth;
        const previous = widths[l - 1];
        up.push({
          block,
          ...(previous !== undefined ? { upsample: createConv(store, `up.${l}.upsample`, 3, width, previous) } : {}),
        });
        if (previous !== undefined) width = previous;
      }
      this.unet = { down, mid, up };
    }
    this.outNorm = createGroupNorm(store, 'out.norm', channels, groups);
    this.outConv = createConv(store, 'out.conv', 3, channels, latentShape[2], true);
  }

  /**
   * Width of one conditioning row: `textDim` (the pooled caption embedding) plus, with
   * cross-attention, `contextLength * textDim` (the caption's token vectors, flattened).
   */
  get conditionWidth(): number {
    return this.config.textDim * (1 + this.config.contextLength);
  }

  /**
   * The conditioning rows of encoded captions: `pooled` `[b, textDim]` alone without
   * cross-attention, else `[pooled | tokens flattened]`, `[b, textDim * (1 + contextLength)]`.
   * One row per caption keeps everything that handles captions (CFG batching, caption dropout,
   * conditioning noise, Diffusion-DPO's caption dropout) unaware of the conditioning's form.
   * Does not dispose `encoded`; the caller disposes the result.
   * @throws InvalidArgumentError when `tokens` or `pooled` do not match `textDim` and `contextLength`.
   */
  textCondition(encoded: EncodedText): tf.Tensor2D {
    const { textDim, contextLength } = this.config;
    const [batch] = encoded.pooled.shape;
    if (encoded.pooled.shape[1] !== textDim)
      throw new InvalidArgumentError(
        'encoded.pooled',
        `[${batch}, ${textDim}]`,
        `[${encoded.pooled.shape.join(', ')}]`,
      );
    if (contextLength === 0) return tf.clone(encoded.pooled);
    const [tokenBatch, length, dim] = encoded.tokens.shape;
    if (tokenBatch !== batch || length !== contextLength || dim !== textDim)
      throw new InvalidArgumentError(
        'encoded.tokens',
        `[${batch}, ${contextLength}, ${textDim}]`,
        `[${encoded.tokens.shape.join(', ')}]`,
      );
    return tf.tidy(() => tf.concat([encoded.pooled, tf.reshape(encoded.tokens, [batch, length * dim])], 1));
  }

  /**
   * Predicts the noise of `[b, h, w, c]` noisy latents at `[b]` float32 timesteps given
   * `[b, conditionWidth]` conditioning rows ({@link LatentTextDenoiser.textCondition}; rows of
   * the null condition for the unconditional branch). The pooled part feeds FiLM; the token part,
   * with cross-attention, is every cross-attention layer's context.
   * Differentiable; the caller disposes the result.
   */
  predictNoise(noisyLatents: tf.Tensor4D, timesteps: tf.Tensor1D, text: tf.Tensor2D): tf.Tensor4D {
    const [batch] = noisyLatents.shape;
    const { textDim, contextLength } = this.config;
    if (text.shape[0] !== batch || text.shape[1] !== this.conditionWidth) {
      throw new InvalidArgumentError('text', `[${batch}, ${this.conditionWidth}]`, `[${text.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const time = dense(this.time2, silu(dense(this.time1, timestepEmbedding(timesteps, this.config.channels))));
      const pooled = contextLength === 0 ? text : (tf.slice(text, [0, 0], [batch, textDim]) as tf.Tensor2D);
      const context =
        contextLength === 0
          ? undefined
          : (tf.reshape(tf.slice(text, [0, textDim], [batch, contextLength * textDim]), [
              batch,
              contextLength,
              textDim,
            ]) as tf.Tensor3D);
      const embedding: tf.Tensor2D = silu(tf.add(time, dense(this.textProjection, pooled))); // [b, 2C]
      let h = conv2d(this.inputConv, noisyLatents);
      for (const block of this.blockParams) h = filmBlock(block, h, embedding, context);
      if (this.unet !== undefined) {
        const skips: tf.Tensor4D[] = [];
        for (const level of this.unet.down) {
          for (const block of level.blocks) h = filmBlock(block, h, embedding, context);
          skips.push(h);
          if (level.downsample !== undefined) h = conv2d(level.downsample, h, 2);
        }
        h = filmBlock(this.unet.mid, h, embedding, context);
        for (const level of this.unet.up) {
          h = filmBlock(level.block, tf.concat([h, skips.pop()!], 3), embedding, context);
          if (level.upsample !== undefined) h = upsampleConv(level.upsample, h);
        }
      }
      return conv2d(this.outConv, silu(groupNorm(this.outNorm, h)));
    });
  }

  /**
   * Classifier-free-guidance dropout: each row of `text` is replaced by the null embedding with
   * probability `cfgDropProb` (draws from `rng`, one per row). `[b, conditionWidth]` -> `[b, conditionWidth]`,
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

  /** `[batch, conditionWidth]` copies of the null condition; the caller disposes it. */
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
