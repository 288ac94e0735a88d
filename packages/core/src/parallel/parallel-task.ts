import type * as tf from '@tensorflow/tfjs-core';
import type { NamedVariables } from '../surrogate/preference-scorer.js';
import type { JsonValue } from '../training/checkpoint-format.js';

/**
 * Where a micro-batch sits in its optimiser step, passed to every
 * {@link ParallelTask.lossAndMetrics} call, on the main thread and in workers alike.
 */
export interface MicroBatchContext {
  /** 0-based optimiser step. */
  readonly stepIndex: number;
  /** 0-based position of this micro-batch in the step (the order gradients are summed in). */
  readonly microBatchIndex: number;
  /** Micro-batches in the step. */
  readonly microBatchCount: number;
  /**
   * What the caller computed once for the whole step and every micro-batch's loss needs, as
   * JSON (it crosses to worker threads): e.g. `{ totalTokens: 1843 }` for a token-mean loss
   * normalised over the whole step. `null` when the caller gives none.
   */
  readonly step: JsonValue;
}

/**
 * What a per-micro-batch loss returns (a {@link ParallelTask}'s, and the `lossAndMetrics` of
 * core's shared training step): the scalar whose gradient is taken, metric scalars (TRL's
 * names; averaged over the step's micro-batches) and per-example outputs the trainer needs on
 * the host (the rewards that update bco_pair's running mean, diffusion's per-pair denoising
 * errors). All are created on the gradient tape from the micro-batch alone, and the engine
 * takes ownership of them: it frees each after reading its value.
 */
export interface MicroBatchOutput {
  /** The micro-batch's contribution to the step's loss, shape []; its gradient is accumulated. */
  readonly loss: tf.Scalar;
  /** Named scalars, shape [] each, read back as numbers (no gradient flows through them). */
  readonly metrics?: Readonly<Record<string, tf.Scalar>>;
  /** Named tensors of any shape read back as Float32Arrays (per-example rewards, errors). */
  readonly outputs?: Readonly<Record<string, tf.Tensor>>;
}

/**
 * A loss of one micro-batch: `(batch, context) => { loss, metrics, outputs }`, run on the
 * gradient tape. It must depend on nothing but `batch`, `context` and the model's weights (plus
 * read-only settings), so the same function gives the same gradient on the main thread and on a
 * worker's replica. A loss that needs nothing of the context may ignore it.
 */
export type LossAndMetrics<TBatch> = (batch: TBatch, context: MicroBatchContext) => MicroBatchOutput;

/**
 * One model and its per-micro-batch loss, the unit of work of data-parallel training: the
 * trainer's own on the main thread, and a replica built by a {@link ParallelTaskFactory} in
 * each worker thread.
 *
 * Contract: `lossAndMetrics` is a pure function of the batch, the context and the variables'
 * values (randomness such as dropout is seeded from the context, e.g. `mixSeeds(seed,
 * stepIndex, microBatchIndex)`), so every micro-batch gives the same gradient wherever it runs.
 *
 * @typeParam TBatch - the micro-batch type; for workers it must survive `structuredClone`
 *   (plain objects, numbers, strings, typed arrays), which every dpo-ts batch does.
 */
export interface ParallelTask<TBatch> {
  /**
   * The model's variables by stable name. The trainable ones are the parameters: their names,
   * shapes and order must be the same in every replica (the same config builds the same model).
   */
  readonly namedVariables: NamedVariables;
  /** The loss and metrics of one micro-batch. Called on the gradient tape. */
  lossAndMetrics(batch: TBatch, context: MicroBatchContext): MicroBatchOutput;
  /** Frees what the task owns (its variables), when the pool shuts down. */
  dispose?(): void;
}

/**
 * A serialisable recipe for a {@link ParallelTask}: worker threads import `module`, call its
 * export `export` with `config` and get their replica. Core names no model; each model package
 * exports factories (lm: `createGPTSFTTask`; diffusion: `createMLPDenoiserTask`; core's tests:
 * `createTinyMLPTask` from `@dpo-ts/core/testing`).
 *
 * `module` is a package specifier (resolved from `@dpo-ts/core`'s own location, so any package
 * installed beside it: `'@dpo-ts/lm'`) or an absolute `file:` URL of compiled JavaScript
 * (`new URL('./my-task.js', import.meta.url).href`). Workers cannot load TypeScript.
 *
 * @example
 * const spec: ParallelTaskSpec = { module: '@dpo-ts/lm', export: 'createGPTSFTTask', config: { gpt: { vocabSize: 96 } } };
 */
export interface ParallelTaskSpec {
  /** A package specifier (`'@dpo-ts/lm'`) or an absolute `file:` URL of compiled JavaScript, imported by each worker. */
  readonly module: string;
  /** The name of `module`'s export that builds the replica: a {@link ParallelTaskFactory}. */
  readonly export: string;
  /** The JSON the factory gets; the same config must build the same model in every replica. */
  readonly config: JsonValue;
}

/**
 * The signature of a task factory named by a {@link ParallelTaskSpec}: builds a replica from
 * JSON. Its initial weights do not matter (the engine overwrites every trainable variable with
 * the main thread's values before each step); everything else (non-trainable weights, frozen
 * parts) must follow from `config`.
 */
export type ParallelTaskFactory<TBatch> = (config: JsonValue) => ParallelTask<TBatch> | Promise<ParallelTask<TBatch>>;
