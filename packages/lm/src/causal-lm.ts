import type * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@dpo-ts/core/training';
import type { KVCache } from './kv-cache.js';

/** Options of a causal language model's forward pass. */
export interface CausalLMForwardOptions {
  /** Dropout on (when the model has any). Scoring the reference and evaluation pass false. @defaultValue false */
  readonly training?: boolean;
  /** Source of dropout seeds when training; defaults to the model's own stream. */
  readonly rng?: Rng;
  /**
   * `[B, Tk]`, 1 for real tokens and 0 for padding, over the cached and the new positions.
   * Needed only for left padding (batched generation): with right padding a causal model never
   * lets a real token attend to a later pad, so omitting it is exact.
   */
  readonly attentionMask?: tf.Tensor2D;
  /**
   * int32 `[B, T]` position of each new token; omitted means `past, past + 1, …` for every row.
   * Left-padded rows pass `cumsum(mask) - 1` so real tokens start at position 0.
   */
  readonly positionIds?: tf.Tensor2D;
}

/**
 * What scoring ({@link sequenceLogProbs}, {@link LMPreferenceScorer}) and generation need
 * from a model: next-token logits for every position. {@link GPT} implements it; tests use
 * models whose logits are set by hand.
 */
export interface CausalLanguageModel {
  /** Size of the output distribution. */
  readonly vocabSize: number;
  /** Longest sequence `forward` accepts. */
  readonly contextLength: number;
  /**
   * Logits of the next token at every position: `logits[b, t]` scores token `t + 1` given
   * tokens `0..t`. `inputIds` int32 `[B, T]` -> float32 `[B, T, V]`; a new tensor the caller
   * disposes. Must be differentiable with respect to `trainableVariables()`.
   */
  forward(inputIds: tf.Tensor2D, options?: CausalLMForwardOptions): tf.Tensor3D;
  /** The variables an optimiser updates. */
  trainableVariables(): tf.Variable[];
}

/**
 * A {@link CausalLanguageModel} that can decode incrementally with a key/value cache
 * ({@link GPT} is one); {@link generate} uses it when `useCache` is on.
 */
export interface IncrementalCausalLanguageModel extends CausalLanguageModel {
  /**
   * Logits `[B, T, V]` of new tokens `inputIds` `[B, T]` given the cached earlier positions,
   * and the cache extended by them. Both results belong to the caller; the old cache is left
   * as it was (the caller disposes it).
   */
  forwardWithCache(
    inputIds: tf.Tensor2D,
    cache: KVCache | undefined,
    options?: Omit<CausalLMForwardOptions, 'training' | 'rng'>,
  ): {
    /** Next-token logits `[B, T, V]` at each new position; the caller disposes them. */
    logits: tf.Tensor3D;
    /** A new cache covering the earlier and the new positions; the caller disposes it. */
    cache: KVCache;
  };
}
