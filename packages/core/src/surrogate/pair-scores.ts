import type * as tf from '@tensorflow/tfjs-core';

/**
 * The four numbers DPO needs per pair come from two of these: one for the policy, one for the
 * reference. A *score* stands in for log pi(response | condition):
 *
 * - language model: the summed (or mean) token log-likelihood of the completion given the
 *   prompt, prompt and padding masked (see {@link ScoreReduction});
 * - diffusion model: minus the denoising error at a timestep t and noise e shared by the
 *   chosen and rejected image of a pair, an ELBO surrogate (see {@link denoisingScore}).
 *
 * Shapes: every tensor is `[batch]`, entry i belongs to pair i.
 * Ownership: whoever calls `score()` owns the tensors (they are usually created inside the
 * caller's `tf.tidy` or gradient tape and released with it).
 */
export interface PairScores {
  /** Score of the chosen (preferred) response, `[batch]`. */
  readonly chosen: tf.Tensor1D;
  /** Score of the rejected response, `[batch]`. */
  readonly rejected: tf.Tensor1D;
  /**
   * Number of scored units (completion tokens for an LM; 1 per image for diffusion) of the
   * chosen response, `[batch]`. Length-normalised losses (`ipo` with length normalisation,
   * `sigmoid_norm`, `sft`) divide by it. Omitted means 1 for every pair.
   */
  readonly chosenLengths?: tf.Tensor1D;
  /** Number of scored units of the rejected response, `[batch]`. Omitted means 1. */
  readonly rejectedLengths?: tf.Tensor1D;
  /**
   * Per-pair quantities of the modality that travel with the scores for its own metrics, each
   * `[batch]`: diffusion's denoising errors (`mse/chosen`, `mse/rejected`). Losses ignore them.
   * Omitted: none.
   */
  readonly details?: Readonly<Record<string, tf.Tensor1D>>;
}
