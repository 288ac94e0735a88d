import { InvalidArgumentError } from '@dpo-ts/core';
import type { JsonValue } from '@dpo-ts/core/training';
import { sampleTasks, type Sampler, type SamplerSpec } from '@dpo-ts/core/parallel';
import type { CausalLanguageModel } from './causal-lm.js';
import { generate, type GenerateOptions, type GenerationResult } from './generate.js';
import type { GPTConfigInput } from './gpt-config.js';
import { GPT } from './gpt-model.js';

/** Configuration of {@link createGPTSampler}: JSON, so it can build the replica in a worker. */
export type GPTSamplerConfig = {
  /** The GPT's configuration (the main thread's `model.config`). */
  readonly gpt: GPTConfigInput;
};

/**
 * One sampling task of {@link createGPTSampler}: one {@link generate} call. Plain data, so it
 * crosses to worker threads.
 */
export type GPTSamplingTask = {
  /** Token ids per row, BOS included when the model was trained with it; each non-empty. */
  readonly prompts: readonly (readonly number[])[];
  /** Generation settings and the task's seed (the draws depend on nothing else). */
  readonly generation: Omit<GenerateOptions, 'rng'> & {
    /** Seed of the task's fresh `Rng`: the same seed gives the same samples on any thread. Required here. */
    readonly seed: number;
  };
  /** The tokenizer's EOS id (rows stop there with `stopAtEos`). */
  readonly eosTokenId: number;
  /** The tokenizer's PAD id (left padding, and the ids after a row's EOS). */
  readonly padTokenId: number;
};

/**
 * What a {@link GPTSamplingTask} returns: {@link GenerationResult} without the decoded texts
 * (the replica has no tokenizer; the main thread decodes `tokenIds[b].slice(0, lengths[b])`).
 */
export type GPTSamplingResult = Omit<GenerationResult, 'texts'>;

/**
 * A core `Sampler` that runs {@link generate} on a causal LM, one task per call: the unit of
 * work of a `SamplingWorkerPool` for language models (completions for evaluation, best-of-N,
 * preference pairs, and rollouts). A task's samples depend only on its prompts, settings and
 * seed, whichever thread runs it.
 *
 * `model` is the caller's own on the main thread; in a worker (no `model`) a GPT is built from
 * `config.gpt` (the pool then overwrites its weights). `dispose()` frees a model the sampler
 * built, never one it was given. Returns plain arrays; leaves no tensor.
 */
export function createGPTSampler(config: GPTSamplerConfig, model?: GPT): Sampler<GPTSamplingTask, GPTSamplingResult> {
  const lm = model ?? new GPT(config.gpt);
  return {
    namedVariables: lm.namedVariables(),
    sample: (task) => generateTask(lm, task),
    dispose: () => {
      if (model === undefined) lm.dispose();
    },
  };
}

/** The spec that builds {@link createGPTSampler}(config) in each worker of a core `SamplingWorkerPool`. */
export function gptSamplerSpec(config: GPTSamplerConfig): SamplerSpec {
  return { module: '@dpo-ts/lm', export: 'createGPTSampler', config: config as unknown as JsonValue };
}

/**
 * Runs {@link GPTSamplingTask}s on `model`, on the main thread or on worker threads, and
 * returns their results in task order: core's `sampleTasks` with {@link createGPTSampler}.
 * Workers need a {@link GPT} (they rebuild it from `model.config`); any other causal LM runs
 * on the main thread. The results do not depend on `workers`.
 * @param workers - an integer >= 1 or `'auto'` (see core's `resolveSamplingWorkers`). @defaultValue 1
 * @param argument - the option's name in the caller's API, for errors. @defaultValue 'options.workers'
 * @throws InvalidArgumentError naming `argument` for an explicit count > 1 with a model other than a GPT.
 */
export async function generateTasks(
  model: CausalLanguageModel,
  tasks: readonly GPTSamplingTask[],
  workers: number | 'auto' = 1,
  argument = 'options.workers',
): Promise<GPTSamplingResult[]> {
  if (!(model instanceof GPT)) {
    if (workers !== 1 && workers !== 'auto')
      throw new InvalidArgumentError(
        argument,
        'at most 1 for a model other than a GPT (workers rebuild the model from its GPTConfig)',
        workers,
      );
    const results: GPTSamplingResult[] = [];
    for (const task of tasks) results.push(await generateTask(model, task));
    return results;
  }
  return sampleTasks(tasks, {
    sampler: createGPTSampler({ gpt: model.config }, model),
    spec: gptSamplerSpec({ gpt: model.config }),
    workers,
  });
}

/** One task's {@link generate} call, without decoding (no tokenizer here). */
async function generateTask(model: CausalLanguageModel, task: GPTSamplingTask): Promise<GPTSamplingResult> {
  const tokenizer = { eosTokenId: task.eosTokenId, padTokenId: task.padTokenId, decode: () => '' };
  const { texts: _texts, ...result } = await generate(model, tokenizer, task.prompts, task.generation);
  return result;
}
