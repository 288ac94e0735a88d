import type * as tf from '@tensorflow/tfjs-core';

/**
 * Keys and values of one attention layer for every position seen so far.
 * Keys are stored transposed so the score matmul `q k^T` needs no transposed operand
 * (wasm's fast matmul path takes only non-transposed operands).
 */
// A type alias, not an interface, so it fits tf.tidy's TensorContainer index signature.
export type LayerKeyValues = {
  /** `[B, H, headSize, Tk]`. */
  readonly keys: tf.Tensor4D;
  /** `[B, H, Tk, headSize]`. */
  readonly values: tf.Tensor4D;
};

/**
 * The keys and values of every layer for the positions already processed, so incremental
 * decoding computes attention for new positions only (one position per step instead of the
 * whole prefix).
 *
 * Ownership: a cache is returned by {@link GPT.forwardWithCache}; the caller owns it and must
 * `dispose()` it once the next step's cache exists (the new cache holds new tensors; it does
 * not alias the old one).
 */
export class KVCache {
  /** Per layer, in block order. */
  readonly layers: readonly LayerKeyValues[];

  /**
   * Wraps the layers' keys and values without copying; the cache takes ownership of those
   * tensors and frees them in {@link KVCache.dispose}.
   * @param layers - one entry per transformer block, in block order, all with the same Tk.
   */
  constructor(layers: readonly LayerKeyValues[]) {
    this.layers = layers;
  }

  /** Number of cached positions (Tk). */
  get length(): number {
    return this.layers[0]?.values.shape[2] ?? 0;
  }

  /** Releases every tensor of the cache. */
  dispose(): void {
    for (const { keys, values } of this.layers) {
      keys.dispose();
      values.dispose();
    }
  }
}
