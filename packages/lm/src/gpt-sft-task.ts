import * as tf from '@tensorflow/tfjs-core';
import { mixSeeds, Rng, type JsonValue } from '@dpo-ts/core/training';
import type { LossAndMetrics, ParallelTask, ParallelTaskSpec } from '@dpo-ts/core/parallel';
import type { CausalLanguageModel } from './causal-lm.js';
import type { GPTConfigInput } from './gpt-config.js';
import { GPT } from './gpt-model.js';
import { lmBatchTensors, type LMBatch } from './lm-batch.js';
import { nextTokenStatistics } from './next-token-loss.js';

/** Configuration of {@link createGPTSFTTask}: JSON, so it can build the replica in a worker. */
export type GPTSFTTaskConfig = {
  /** The GPT's configuration (the same one the main thread's model was built with). */
  readonly gpt: GPTConfigInput;
  /** Seed of the dropout streams, mixed with the step and micro-batch indices. @defaultValue 42 */
  readonly seed?: number;
};

/** The step-wide JSON this task reads (`GradientCall.step`). */
type StepJSON = { readonly totalTokens?: number } | null;

/**
 * The SFT / next-token loss of a GPT on one {@link LMBatch} micro-batch, as a core
 * `ParallelTask`: the unit data-parallel workers compute (SFTTrainer's per-micro-batch loss).
 *
 *   loss_k = -sum_{scored tokens of micro-batch k} log p(x_t | x_<t) / N
 *
 * with N = `context.step.totalTokens` (the scored tokens of the whole step, so accumulated
 * micro-batches equal one big batch: transformers' `num_items_in_batch`), or the micro-batch's
 * own scored tokens when the step passes none. Metrics: `nll_sum`, `token_count`,
 * `correct_count` (sums, combined across micro-batches by adding). Dropout, when the config
 * has any, draws from `mixSeeds(seed, stepIndex, microBatchIndex)`, so a micro-batch's
 * gradient does not depend on which thread computes it.
 *
 * `model` is the trainer's own GPT on the main thread; in a worker (no `model`) a new GPT is
 * built from `config.gpt` (the engine then overwrites its weights). `dispose()` frees a model
 * the task built, never one it was given.
 *
 * @see Radford et al. 2018 (the language-modelling objective, Eq. 1); TRL `SFTTrainer`.
 */
export function createGPTSFTTask(config: GPTSFTTaskConfig, model?: GPT): ParallelTask<LMBatch> {
  const gpt = model ?? new GPT(config.gpt);
  return {
    namedVariables: gpt.namedVariables(),
    lossAndMetrics: nextTokenLossAndMetrics(gpt, config.seed ?? 42),
    dispose: () => {
      if (model === undefined) gpt.dispose();
    },
  };
}

/**
 * The per-micro-batch SFT loss of any causal LM, the one function behind both
 * {@link createGPTSFTTask} (workers) and `SFTTrainer` (the main thread):
 * `loss = nllSum / N` with N = `context.step.totalTokens`, or the micro-batch's own scored
 * tokens when the step passes none; metrics `nll_sum`, `token_count`, `correct_count` (sums).
 * Dropout draws from `new Rng(mixSeeds(seed, stepIndex, microBatchIndex))` (unused by a model
 * without dropout), so a micro-batch's gradient does not depend on the thread that computes it.
 *
 * Tensors: everything it returns is created on the caller's tape; the caller (core's engine)
 * disposes it.
 */
export function nextTokenLossAndMetrics(model: CausalLanguageModel, seed: number): LossAndMetrics<LMBatch> {
  return (batch, context) => {
    const { inputIds, lossMask } = lmBatchTensors(batch);
    const rng = new Rng(mixSeeds(seed, context.stepIndex, context.microBatchIndex));
    const stats = nextTokenStatistics(model, inputIds, lossMask, { training: true, rng });
    const totalTokens = (context.step as StepJSON)?.totalTokens;
    const loss = tf.div(stats.nllSum, totalTokens ?? stats.tokenCount) as tf.Scalar;
    return {
      loss,
      metrics: { nll_sum: stats.nllSum, token_count: stats.tokenCount, correct_count: stats.correctCount },
    };
  };
}

/** The spec that builds {@link createGPTSFTTask}(config) in each worker of a core `GradientWorkerPool`. */
export function gptSFTTaskSpec(config: GPTSFTTaskConfig): ParallelTaskSpec {
  return { module: '@dpo-ts/lm', export: 'createGPTSFTTask', config: config as unknown as JsonValue };
}
