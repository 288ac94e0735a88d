import type * as tf from '@tensorflow/tfjs-core';
import type { PairScores } from './pair-scores.js';

/**
 * What the scorer is asked to do on this call.
 */
export interface ScoreContext {
  /**
   * True while the policy is trained (dropout and classifier-free-guidance dropout active);
   * false for the reference and for evaluation. Scorers must be deterministic when false.
   */
  readonly training: boolean;
  /**
   * Where this call sits in a training step, when it scores one micro-batch of it: scorers with
   * dropout derive their stream from it (e.g. `mixSeeds(seed, stepIndex, microBatchIndex)`), so
   * a micro-batch draws the same masks on the main thread and on any worker thread. Absent for
   * the reference and for evaluation.
   */
  readonly microBatch?: {
    /** 0-based optimiser step the micro-batch belongs to. */
    readonly stepIndex: number;
    /** 0-based position of the micro-batch within its step (`< gradientAccumulationSteps`). */
    readonly microBatchIndex: number;
  };
}

/**
 * The seam every modality plugs into: a model that scores the chosen and rejected response of
 * each pair in a batch. Everything else in dpo-ts (losses, metrics, reference caches, the
 * training loop, checkpoints) is written against this interface only.
 *
 * Contract:
 * - `score` must be differentiable with respect to `trainableVariables` (it is called inside
 *   `tf.variableGrads` for the policy).
 * - Any randomness that must be shared between policy and reference, such as the diffusion
 *   timestep and noise of a pair, lives in the batch, drawn once when the batch is made; so the
 *   reference scores of a batch can be cached.
 * - Returned tensors belong to the caller.
 *
 * @typeParam TBatch - the modality's batch type (token ids and masks; images, labels, noise).
 */
export interface PreferenceScorer<TBatch> {
  /** Scores both sides of every pair in `batch`. Shapes `[batch]`. Caller disposes. */
  score(batch: TBatch, context: ScoreContext): PairScores;
  /** Variables the optimiser updates. Empty for a frozen reference. */
  trainableVariables(): tf.Variable[];
}

/** Variables by stable name, the unit checkpoints save and load. */
export type NamedVariables = ReadonlyMap<string, tf.Variable>;

/**
 * A model whose weights can be saved and restored by name. Implemented by every model
 * package's networks so core's checkpoints work for all of them.
 */
export interface Checkpointable {
  /** Every weight by a stable name (`h.0.attn.qkv.kernel`); the same names across runs. */
  namedVariables(): NamedVariables;
}
