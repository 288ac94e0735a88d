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
  /**
   * Token ids per caption, `words x featuresPerToken`; longer captions are truncated by the
   * tokenizer. @defaultValue 16
   */
  readonly maxLength: number;
  /**
   * Ids per word slot (`tokenizer.featuresPerWord`): 1 for a word tokenizer (version 1); more
   * for a version-2 tokenizer, whose word's vector is the mean of its non-padding ids' rows
   * (the word's own and its WordNet synsets'). Must divide `maxLength`. @defaultValue 1
   */
  readonly featuresPerToken: number;
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
  featuresPerToken: 1,
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
  requireInteger('captionEncoder.featuresPerToken', merged.featuresPerToken, { min: 1 });
  if (merged.maxLength % merged.featuresPerToken !== 0)
    throw new InvalidArgumentError(
      'captionEncoder.maxLength',
      `a multiple of featuresPerToken (${merged.featuresPerToken})`,
      merged.maxLength,
    );
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
  /** Per-word vectors after the final layer norm, `[batch, maxLength / featuresPerToken, dim]` (for cross-attention). */
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
 * the matmul is cheap and trains on every backend without a gather gradient. With
 * `featuresPerToken` K > 1 (a version-2 tokenizer) each of the `maxLength / K` word slots is the
 * mean of the table rows of its non-padding ids (`tf.gather`; on wasm its gradient is core's
 * override, registered by `selectBackend`), fastText's sum-of-features word vector, normalised.
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
    this.positionTable = store.normal('pos', [maxLength / this.config.featuresPerToken, dim], 0.02);
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
    const { maxLength, featuresPerToken: K, dim: d, heads: H } = this.config;
    if (tokenIds.length !== batch * maxLength)
      throw new InvalidArgumentError('tokenIds', `${batch} x ${maxLength} ids`, `${tokenIds.length} ids`);
    const T = maxLength / K; // word slots; a slot is padding when its first id is
    const keep = Float32Array.from({ length: batch * T }, (_, i) => (tokenIds[i * K] === CAPTION_PAD_ID ? 0 : 1));
    const [tokens, pooled] = tf.tidy(() => {
      const positions = tf.tile(this.positionTable, [batch, 1]); // [b*T, d]
      let x = tf.add(this.wordVectors(tokenIds), positions) as tf.Tensor2D;
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

  /** Word-slot vectors before positions, `[b*T*K]` ids -> `[b*T, d]`; see the class comment. */
  private wordVectors(tokenIds: Int32Array): tf.Tensor2D {
    const { vocabSize, featuresPerToken: K } = this.config;
    return tf.tidy(() => {
      const ids = tf.tensor1d(tokenIds, 'int32');
      if (K === 1) return tf.matMul(tf.cast(tf.oneHot(ids, vocabSize), 'float32'), this.tokenTable as tf.Tensor2D);
      // Mean over a slot's non-padding ids: weight 1/count each, 0 for padding.
      const weights = new Float32Array(tokenIds.length);
      for (let slot = 0; slot < tokenIds.length / K; slot++) {
        let count = 0;
        for (let k = 0; k < K; k++) if (tokenIds[slot * K + k] !== CAPTION_PAD_ID) count += 1;
        for (let k = 0; k < K; k++) if (tokenIds[slot * K + k] !== CAPTION_PAD_ID) weights[slot * K + k] = 1 / count;
      }
      const rows = tf.mul(tf.gather(this.tokenTable, ids), tf.tensor2d(weights, [tokenIds.length, 1])); // [b*T*K, d]
      return tf.sum(tf.reshape(rows, [tokenIds.length / K, K, -1]), 1) as tf.Tensor2D; // [b*T, d]
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
