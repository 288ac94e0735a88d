import type { NamedVariables } from '../surrogate/preference-scorer.js';
import type { JsonValue } from '../training/checkpoint-format.js';
import type { ParallelTaskSpec } from './parallel-task.js';

/**
 * A model and its sampling function, the unit of work of a {@link SamplingWorkerPool}: the
 * caller's own on the main thread, and a replica built by a {@link SamplerFactory} in each
 * worker thread (lm: `createGPTSampler`, generation; diffusion: `createDenoiserSampler`, DDIM/DDPM
 * with DDPO's per-step log-probs; core's tests: `createTinySampler`).
 *
 * Contract: `sample(task)` is a pure function of the task (which carries its own seed) and the
 * variables' values, so a task gives the same result on whichever thread runs it and however
 * many workers share the list. It leaves no tensor alive (the pool checks, per task).
 *
 * @typeParam TTask - one sampling task (prompts or captions, counts, settings, seed); it must
 *   survive `structuredClone` (plain objects, numbers, strings, typed arrays).
 * @typeParam TResult - what one task returns (token ids, images as Float32Array, log-probs):
 *   plain data too, it crosses back to the main thread.
 */
export interface Sampler<TTask, TResult> {
  /**
   * The model's variables by stable name, frozen ones included: the pool copies every one of
   * them from the main thread, so names, shapes and order must be the same in every replica.
   */
  readonly namedVariables: NamedVariables;
  /** Runs one task. May be async (samplers read tensors back with `data()`). */
  sample(task: TTask): TResult | Promise<TResult>;
  /** Frees what the sampler built (its variables), when the pool shuts down. */
  dispose?(): void;
}

/**
 * A serialisable recipe for a {@link Sampler}: worker threads import `module`, call its export
 * `export` with `config` and get their replica. The same shape (and the same module rules: a
 * package specifier resolved from `@dpo-ts/core`, or an absolute `file:` URL of JavaScript) as
 * the gradient workers' {@link ParallelTaskSpec}.
 *
 * @example
 * const spec: SamplerSpec = { module: '@dpo-ts/lm', export: 'createGPTSampler', config: { gpt: model.config } };
 */
export type SamplerSpec = ParallelTaskSpec;

/**
 * The signature of a sampler factory named by a {@link SamplerSpec}: builds a replica from JSON.
 * Its initial weights do not matter: the pool overwrites every variable with the main thread's
 * values before the first task of each `sample()` call.
 */
export type SamplerFactory<TTask, TResult> = (
  config: JsonValue,
) => Sampler<TTask, TResult> | Promise<Sampler<TTask, TResult>>;
