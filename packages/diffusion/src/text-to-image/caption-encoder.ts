import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, requireInteger, type Checkpointable, type NamedVariables } from '@dpo-ts/core';
import { Rng } from '@dpo-ts/core/training';
import { countParameters } from '../denoiser.js';
import { ParameterStore } from '../nn/parameter-store.js';
import { createDense, dense, silu, type DenseParams } from '../nn/layers.js';
import { CAPTION_PAD_ID } from './caption-tokenizer.js';

/** Configuration of {@link CaptionEncoder}. */
export interface CaptionEncoderConfig {
  /** Vocabulary size, padding and unknown included (`tokenizer.vocabSize`). */
  readonly vocabSize: number;
  /** Tokens per caption; longer captions are truncated by the tokenizer. @defaultValue 16 */
  readonly maxLength: number;
  /** Width of the token vectors and of the pooled embedding. @defaultValue 64 */
  readonly dim: number;
  /** Transformer blocks. @defaultValue 2 */
  readonly layers: number;
  /** Attention heads; must divide `dim`. @defaultValue 4 */
  readonly heads: number;
  /** @defaultValue 0 */
  readonly seed: number;
}

/** Defaults of {@link CaptionEncoderConfig} (all but `vocabSize`). */
export const DEFAULT_CAPTION_ENCODER_CONFIG: Omit<CaptionEncoderConfig, 'vocabSize'> = Object.freeze({
  maxLength: 16,
  dim: 64,
  layers: 2,
  heads: 4,
  seed: 0,
});

/** Merges over the defaults and validates every field. */
export function resolveCaptionEncoderConfig(
  config: Partial<CaptionEncoderConfig> & Pick<CaptionEncoderConfig, 'vocabSize'>,
): CaptionEncoderConfig {
  const merged = { ...DEFAULT_CAPTION_ENCODER_CONFIG, ...config };
  requireInteger('captionEncoder.vocabSize', merged.vocabSize, { min: 3 });
  requireInteger('captionEncoder.maxLength', merged.maxLength, { min: 1 });
  requireInteger('captionEncoder.dim', merged.dim, { min: 1 });
  requireInteger('captionEncoder.layers', merged.layers, { min: 0 });
  requireInteger('captionEncoder.heads', merged.heads, { min: 1 });
  requireInteger('captionEncoder.seed', merged.seed);
  if (merged.dim % merged.heads !== 0)
    throw new InvalidArgumentError('captionEncoder.heads', `a divisor of dim (${merged.dim})`, merged.heads);
  return Object.freeze(merged);
}

interface LayerNormParams {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
}
interface BlockParams {
  readonly norm1: LayerNormParams;
  readonly qkv: DenseParams;
  readonly proj: DenseParams;
  readonly norm2: LayerNormParams;
  readonly mlp1: DenseParams;
  readonly mlp2: DenseParams;
}

/** What {@link CaptionEncoder.encode} returns; the caller disposes both tensors. */
export interface EncodedText {
  /** Per-token vectors after the final layer norm, `[batch, maxLength, dim]` (for cross-attention). */
  readonly tokens: tf.Tensor3D;
  /** Mean of the token vectors over non-padding positions, `[batch, dim]`; zeros for an empty caption. */
  readonly pooled: tf.Tensor2D;
}

/**
 * A small pre-LN transformer encoder over caption tokens, the CLIP text encoder's shape at emoji
 * scale: token + learned position embeddings, `layers` blocks of bidirectional multi-head
 * self-attention and a SiLU MLP (4x), each with a residual, a final layer norm, then a
 * mean over the non-padding positions as the pooled caption embedding. Padding keys get
 * -1e9 attention scores, so a caption's vectors do not depend on how much padding follows it.
 *
 * Token lookup is one-hot times the table (`[b*T, V] x [V, dim]`): with a ~2,000-word vocabulary
 * the matmul is cheap and trains on every backend without a gather gradient.
 *
 * Weight names: `tok`, `pos`, `block.{i}.{norm1,qkv,proj,norm2,mlp1,mlp2}.*`, `out.norm.*`.
 * @see Vaswani et al. 2017; Radford et al. 2021 (CLIP's text tower, pooled differently).
 */
export class CaptionEncoder implements Checkpointable {
  /** The resolved configuration, every default filled in; frozen. */
  readonly config: CaptionEncoderConfig;
  private readonly store: ParameterStore;
  private readonly tokenTable: tf.Variable;
  private readonly positionTable: tf.Variable;
  private readonly blocks: BlockParams[] = [];
  private readonly outNorm: LayerNormParams;

  /**
   * Builds the encoder with fresh weights from `config.seed` (it owns them; {@link CaptionEncoder.dispose} frees them).
   * @param config - `vocabSize` is required (the tokenizer's); every other field has a default.
   * @throws InvalidArgumentError naming the field when invalid (e.g. `dim` not divisible by `heads`).
   */
  constructor(config: Partial<CaptionEncoderConfig> & Pick<CaptionEncoderConfig, 'vocabSize'>) {
    this.config = resolveCaptionEncoderConfig(config);
    const { vocabSize, maxLength, dim, layers } = this.config;
    const store = new ParameterStore(new Rng(this.config.seed));
    this.store = store;
    this.tokenTable = store.normal('tok', [vocabSize, dim], 0.02);
    this.positionTable = store.normal('pos', [maxLength, dim], 0.02);
    const norm = (name: string): LayerNormParams => ({
      gamma: store.constant(`${name}.gamma`, [dim], 1),
      beta: store.zeros(`${name}.beta`, [dim]),
    });
    for (let i = 0; i < layers; i++) {
      this.blocks.push({
        norm1: norm(`block.${i}.norm1`),
        qkv: createDense(store, `block.${i}.qkv`, dim, 3 * dim),
        proj: createDense(store, `block.${i}.proj`, dim, dim),
        norm2: norm(`block.${i}.norm2`),
        mlp1: createDense(store, `block.${i}.mlp1`, dim, 4 * dim),
        mlp2: createDense(store, `block.${i}.mlp2`, 4 * dim, dim),
      });
    }
    this.outNorm = norm('out.norm');
  }

  /**
   * Encodes token ids (from {@link CaptionTokenizer.encodeBatch}), `[batch * maxLength]` int32.
   * Differentiable with respect to every weight; the caller disposes the result.
   */
  encode(tokenIds: Int32Array, batch: number): EncodedText {
    const { maxLength: T, dim: d, heads: H, vocabSize } = this.config;
    if (tokenIds.length !== batch * T)
      throw new InvalidArgumentError('tokenIds', `${batch} x ${T} ids`, `${tokenIds.length} ids`);
    const keep = Float32Array.from(tokenIds, (id) => (id === CAPTION_PAD_ID ? 0 : 1));
    const [tokens, pooled] = tf.tidy(() => {
      const ids = tf.tensor1d(tokenIds, 'int32');
      const oneHot = tf.cast(tf.oneHot(ids, vocabSize), 'float32'); // [b*T, V]
      const positions = tf.tile(this.positionTable, [batch, 1]); // [b*T, d]
      let x = tf.add(tf.matMul(oneHot, this.tokenTable as tf.Tensor2D), positions) as tf.Tensor2D;
      const mask = tf.tensor2d(keep, [batch, T]);
      const scoreBias = tf.reshape(tf.mul(tf.sub(1, mask), -1e9), [batch, 1, 1, T]); // padding keys -> -1e9
      for (const block of this.blocks) {
        x = tf.add(x, attention(block, layerNorm(block.norm1, x), batch, T, H, scoreBias));
        x = tf.add(x, dense(block.mlp2, silu(dense(block.mlp1, layerNorm(block.norm2, x)))));
      }
      const out = tf.reshape(layerNorm(this.outNorm, x), [batch, T, d]) as tf.Tensor3D;
      // Masked mean over positions: [b, 1, T] x [b, T, d] -> [b, d].
      const counts = tf.maximum(tf.sum(mask, 1, true), 1); // [b, 1]
      const summed = tf.reshape(tf.matMul(tf.reshape(mask, [batch, 1, T]), out), [batch, d]);
      return [out, tf.div(summed, counts) as tf.Tensor2D];
    });
    return { tokens: tokens as tf.Tensor3D, pooled: pooled as tf.Tensor2D };
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

/** Layer norm over the last axis (biased variance, epsilon 1e-5, as PyTorch). */
function layerNorm(params: LayerNormParams, x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const mean = tf.mean(x, -1, true);
    const centered = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centered), -1, true);
    return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, 1e-5))), params.gamma), params.beta);
  });
}

/** Bidirectional multi-head attention, `[b*T, d] -> [b*T, d]`, rank-4 transposes only (fast on wasm). */
function attention(
  block: BlockParams,
  x: tf.Tensor2D,
  batch: number,
  T: number,
  H: number,
  scoreBias: tf.Tensor,
): tf.Tensor2D {
  return tf.tidy(() => {
    const d = x.shape[1];
    const hd = d / H;
    const [q, k, v] = tf.split(dense(block.qkv, x), 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const queries = tf.reshape(
      tf.transpose(tf.reshape(tf.mul(q, 1 / Math.sqrt(hd)), [batch, T, H, hd]), [0, 2, 1, 3]),
      [batch * H, T, hd],
    );
    const keys = tf.reshape(tf.transpose(tf.reshape(k, [batch, T, H, hd]), [0, 2, 3, 1]), [batch * H, hd, T]);
    const values = tf.reshape(tf.transpose(tf.reshape(v, [batch, T, H, hd]), [0, 2, 1, 3]), [batch * H, T, hd]);
    const scores = tf.add(tf.reshape(tf.matMul(queries, keys), [batch, H, T, T]), scoreBias); // [b, H, T, T]
    const probabilities = tf.reshape(tf.softmax(scores), [batch * H, T, T]);
    const context = tf.matMul(probabilities, values); // [b*H, T, hd]
    const merged = tf.reshape(tf.transpose(tf.reshape(context, [batch, H, T, hd]), [0, 2, 1, 3]), [
      batch * T,
      d,
    ]) as tf.Tensor2D;
    return dense(block.proj, merged);
  });
}
