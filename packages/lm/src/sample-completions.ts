import { InvalidArgumentError, requireInteger } from '@dpo-ts/core';
import type { ChatMessage } from '@dpo-ts/core/data';
import * as tf from '@tensorflow/tfjs-core';
import type { CausalLanguageModel } from './causal-lm.js';
import { applyChatTemplate } from './chat-template.js';
import type { GenerateOptions } from './generate.js';
import { generateTasks, type GPTSamplingTask } from './gpt-sampler.js';
import { buildLMBatch, lmBatchTensors } from './lm-batch.js';
import { sequenceLogProbs } from './sequence-log-probs.js';
import type { Tokenizer } from './tokenizer.js';

/** One sampled completion of a text prompt. */
export interface CompletionSample {
  /** The text prompt the completion continues, as given. */
  readonly prompt: string;
  /** The decoded completion (EOS not included). */
  readonly completion: string;
  /** Prompt token ids, without BOS. */
  readonly promptIds: readonly number[];
  /** Sampled ids up to and including EOS when the row finished. */
  readonly completionIds: readonly number[];
  /** Whether the row sampled EOS within `maxNewTokens`. */
  readonly finished: boolean;
}

/** Options of {@link sampleCompletions}: generation settings plus batching and a seed. */
export interface SampleCompletionsOptions extends Omit<GenerateOptions, 'rng' | 'seed'> {
  /** Seed of batch k is `seed + k`: the same seed and prompts give the same samples. */
  readonly seed: number;
  /** Rows per `generate` call. @defaultValue 64 */
  readonly batchSize?: number;
  /**
   * Worker threads sampling the batches at once (core's `SamplingWorkerPool`; a GPT only,
   * rebuilt in each worker from its config): an integer >= 1, or `'auto'` for the machine's
   * cores (at most one per batch, and 1 for a model under core's `AUTO_WORKERS_MIN_PARAMETERS`).
   * Batch k is seeded `seed + k` wherever it runs, so the samples do not depend on the count;
   * only batches run in parallel, so use a `batchSize` that gives at least one batch per worker.
   * @defaultValue 1 (the main thread)
   */
  readonly workers?: number | 'auto';
}

/**
 * Samples one completion per prompt (repeat prompts for more) with {@link generate}: prompts
 * encoded with BOS (as {@link buildLMBatch} lays out training rows), batched `batchSize` rows at
 * a time, batch k seeded with `seed + k`, on the main thread or, with `workers`, on worker
 * threads (same samples). Returns plain data in prompt order. A prompt given as
 * a list of chat messages is rendered with `tokenizer.chatTemplate` and a generation prompt,
 * the text conversational training rows were rendered to (its `prompt` is that text).
 */
export async function sampleCompletions(
  model: CausalLanguageModel,
  tokenizer: Tokenizer,
  prompts: readonly (string | readonly ChatMessage[])[],
  options: SampleCompletionsOptions,
): Promise<CompletionSample[]> {
  if (!Array.isArray(prompts) || prompts.length === 0)
    throw new InvalidArgumentError('prompts', 'a non-empty array of strings or message lists', prompts);
  const batchSize = requireInteger('options.batchSize', options.batchSize ?? 64, { min: 1 });
  const seed = requireInteger('options.seed', options.seed, { min: 0 });
  const { batchSize: _batchSize, seed: _seed, workers, ...generation } = options;
  const texts = prompts.map((prompt, i) => promptText(prompt, tokenizer, `prompts[${i}]`));
  const promptIds = texts.map((text) => tokenizer.encode(text));
  const tasks: GPTSamplingTask[] = [];
  for (let start = 0, k = 0; start < prompts.length; start += batchSize, k++) {
    tasks.push({
      prompts: promptIds.slice(start, start + batchSize).map((ids) => [tokenizer.bosTokenId, ...ids]),
      generation: { ...generation, seed: (seed + k) >>> 0 },
      eosTokenId: tokenizer.eosTokenId,
      padTokenId: tokenizer.padTokenId,
    });
  }
  const results = await generateTasks(model, tasks, workers);
  return texts.map((prompt, i) => {
    const result = results[Math.floor(i / batchSize)]!;
    const b = i % batchSize;
    const completionIds = result.tokenIds[b]!.slice(0, result.lengths[b]);
    return {
      prompt,
      completion: tokenizer.decode(completionIds),
      promptIds: promptIds[i]!,
      completionIds,
      finished: result.finished[b]!,
    };
  });
}

/**
 * Log-likelihood of each sample's completion given its prompt under `model`,
 * `sum_t log p(y_t | BOS, x, y_<t)` at temperature 1 (EOS included when sampled), in batches.
 * Rows longer than the model's context keep the end of the prompt. Plain numbers; nothing to
 * dispose.
 */
export async function completionLogProbs(
  model: CausalLanguageModel,
  tokenizer: Pick<Tokenizer, 'padTokenId' | 'bosTokenId' | 'eosTokenId'>,
  samples: readonly Pick<CompletionSample, 'promptIds' | 'completionIds'>[],
  batchSize = 64,
): Promise<number[]> {
  requireInteger('batchSize', batchSize, { min: 1 });
  const out: number[] = [];
  for (let start = 0; start < samples.length; start += batchSize) {
    const chunk = samples.slice(start, start + batchSize);
    const batch = buildLMBatch(
      chunk.map((sample) => ({ prompt: sample.promptIds, completion: sample.completionIds })),
      tokenizer,
      { maxLength: model.contextLength, addEos: false },
    );
    const sums = tf.tidy(() => {
      const { inputIds, lossMask } = lmBatchTensors(batch);
      return sequenceLogProbs(model, inputIds, lossMask).sum;
    });
    out.push(...(await sums.data()));
    sums.dispose();
  }
  return out;
}

/** A prompt as text: a string as is, a message list rendered with the tokenizer's chat template. */
function promptText(prompt: string | readonly ChatMessage[], tokenizer: Tokenizer, argument: string): string {
  if (!Array.isArray(prompt)) return prompt as string;
  if (tokenizer.chatTemplate === undefined)
    throw new InvalidArgumentError(
      'tokenizer.chatTemplate',
      'a chat template for message-list prompts (withChatTemplate(tokenizer))',
      undefined,
      `${argument} is a message list`,
    );
  return applyChatTemplate(prompt, tokenizer.chatTemplate, { addGenerationPrompt: true, argument });
}
