import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, requireBoolean, requireInteger } from '@dpo-ts/core';
import { Rng } from '@dpo-ts/core/training';
import type { CausalLanguageModel, IncrementalCausalLanguageModel } from './causal-lm.js';
import type { KVCache } from './kv-cache.js';
import { resolveSamplingOptions, sampleToken, type SamplingOptions } from './sampling.js';
import type { Tokenizer } from './tokenizer.js';

/** Options of {@link generate}: sampling, length, stopping, randomness and caching. */
export interface GenerateOptions extends SamplingOptions {
  /** Most tokens to sample per row (EOS included). */
  readonly maxNewTokens: number;
  /** Random stream for sampling; it advances, so successive calls differ. Takes precedence over `seed`. */
  readonly rng?: Rng;
  /** Seed of a fresh stream when `rng` is not given: same seed, same samples. @defaultValue 0 */
  readonly seed?: number;
  /** Stop a row once it samples EOS (later positions are PAD, masked out). @defaultValue true */
  readonly stopAtEos?: boolean;
  /**
   * Decode incrementally with a key/value cache (one position per step) instead of re-running
   * the whole window each step. Needs `longest prompt + maxNewTokens - 1 <= contextLength`;
   * without the cache, the context slides to the last `contextLength` tokens instead.
   * @defaultValue true when the model implements `forwardWithCache`
   */
  readonly useCache?: boolean;
}

/**
 * Sampled continuations, plain arrays (no tensors to dispose). Rectangular: every row has one
 * entry per step run (`maxNewTokens`, or fewer when every row stopped early).
 */
export interface GenerationResult {
  /** `[B][steps]` sampled ids, PAD after a row's EOS. Prompts are not included. */
  readonly tokenIds: number[][];
  /**
   * `[B][steps]` log-probability of each sampled token under `softmax(logits / temperature)`
   * (temperature 1 when greedy), before top-k/top-p filtering; 0 where `mask` is 0. This is
   * what {@link tokenLogProbs} with the same `temperature` recomputes from prompt + tokens, the
   * convention of TRL's PPO (the filters are treated as part of the sampler, not the policy).
   */
  readonly logProbs: number[][];
  /** `[B][steps]`, 1 on sampled tokens up to and including EOS, 0 after. */
  readonly mask: number[][];
  /** Valid tokens per row (the sum of its mask). */
  readonly lengths: number[];
  /** Whether the row sampled EOS (false: it ran out of `maxNewTokens`). */
  readonly finished: boolean[];
  /** The valid tokens decoded, special tokens (EOS) skipped. */
  readonly texts: string[];
}

function hasCache(model: CausalLanguageModel): model is IncrementalCausalLanguageModel {
  return typeof (model as Partial<IncrementalCausalLanguageModel>).forwardWithCache === 'function';
}

/**
 * Samples continuations of a batch of prompts: temperature, top-k and top-p (nucleus)
 * sampling or greedy decoding ({@link sampleToken}), per-row EOS stopping, seeded by core's
 * {@link Rng} so a seed fixes the output.
 *
 * Prompts of different lengths are left-padded; the attention mask hides the padding and
 * position ids start at 0 at each row's first real token, so every row is decoded exactly as
 * it would be alone. Include BOS in the prompts if the model was trained with it
 * (`tokenizer.encode(text, { addBos: true })`; {@link buildLMBatch} adds BOS by default).
 *
 * Each step reads one `[B, V]` row of logits back to JavaScript and samples there in float64.
 *
 * @see Holtzman et al. 2019 (top-p); Radford et al. 2019 (GPT-2 sampling).
 * @param prompts - token ids per row, each non-empty.
 */
export async function generate(
  model: CausalLanguageModel,
  tokenizer: Pick<Tokenizer, 'eosTokenId' | 'padTokenId' | 'decode'>,
  prompts: readonly (readonly number[])[],
  options: GenerateOptions,
): Promise<GenerationResult> {
  const sampling = resolveSamplingOptions(options);
  const maxNewTokens = requireInteger('options.maxNewTokens', options.maxNewTokens, { min: 1 });
  const stopAtEos = requireBoolean('options.stopAtEos', options.stopAtEos ?? true);
  const useCache = requireBoolean('options.useCache', options.useCache ?? hasCache(model));
  const rng = options.rng ?? new Rng(options.seed ?? 0);
  const { vocabSize: V, contextLength } = model;
  const { eosTokenId, padTokenId } = tokenizer;
  if (prompts.length === 0) throw new InvalidArgumentError('prompts', 'a non-empty array', prompts);
  prompts.forEach((prompt, b) => {
    if (prompt.length === 0) throw new InvalidArgumentError(`prompts[${b}]`, 'at least one token', prompt);
    const bad = prompt.findIndex((id) => !Number.isInteger(id) || id < 0 || id >= V);
    if (bad >= 0) throw new InvalidArgumentError(`prompts[${b}][${bad}]`, `a token id in [0, ${V})`, prompt[bad]);
  });
  const B = prompts.length;
  const P = Math.max(...prompts.map((prompt) => prompt.length));
  if (useCache && !hasCache(model))
    throw new InvalidArgumentError('options.useCache', 'false for a model without forwardWithCache', true);
  if (useCache && P + maxNewTokens - 1 > contextLength) {
    throw new InvalidArgumentError(
      'options.maxNewTokens',
      `at most contextLength - longest prompt + 1 = ${contextLength - P + 1} with the KV cache`,
      maxNewTokens,
      'pass useCache: false to slide the context window instead',
    );
  }

  // Left-padded rows that grow by one column per step; realMask marks non-padding tokens.
  const sequences = prompts.map((prompt) => [...new Array<number>(P - prompt.length).fill(padTokenId), ...prompt]);
  const realMask = prompts.map((prompt) => [
    ...new Array<number>(P - prompt.length).fill(0),
    ...new Array<number>(prompt.length).fill(1),
  ]);
  const result: GenerationResult = {
    tokenIds: prompts.map(() => []),
    logProbs: prompts.map(() => []),
    mask: prompts.map(() => []),
    lengths: new Array<number>(B).fill(0),
    finished: new Array<boolean>(B).fill(false),
    texts: [],
  };
  let cache: KVCache | undefined;

  // Logits of the next token for every row, [B * V], read back to JavaScript.
  const nextLogits = async (step: number): Promise<Float32Array> => {
    const width = sequences[0]!.length;
    const last = tf.tidy(() => {
      let logits: tf.Tensor3D;
      if (useCache) {
        const start = step === 0 ? 0 : width - 1;
        const ids = tf.tensor2d(
          sequences.map((row) => row.slice(start)),
          undefined,
          'int32',
        );
        const positions = tf.tensor2d(
          realMask.map((row) => positionIds(row).slice(start)),
          undefined,
          'int32',
        );
        const attentionMask = tf.tensor2d(realMask);
        const output = (model as IncrementalCausalLanguageModel).forwardWithCache(ids, cache, {
          attentionMask,
          positionIds: positions,
        });
        cache?.dispose();
        cache = output.cache;
        // The cache outlives this tidy; the next step (or the finally below) disposes it.
        for (const layer of cache.layers) {
          tf.keep(layer.keys);
          tf.keep(layer.values);
        }
        logits = output.logits;
      } else {
        const window = Math.min(width, contextLength);
        const maskWindow = realMask.map((row) => row.slice(width - window));
        logits = model.forward(
          tf.tensor2d(
            sequences.map((row) => row.slice(width - window)),
            undefined,
            'int32',
          ),
          {
            attentionMask: tf.tensor2d(maskWindow),
            positionIds: tf.tensor2d(maskWindow.map(positionIds), undefined, 'int32'),
          },
        );
      }
      const T = logits.shape[1];
      return tf.reshape(tf.slice(logits, [0, T - 1, 0], [B, 1, V]), [B, V]);
    });
    try {
      return (await last.data()) as Float32Array;
    } finally {
      last.dispose();
    }
  };

  try {
    for (let step = 0; step < maxNewTokens; step++) {
      const logits = await nextLogits(step);
      for (let b = 0; b < B; b++) {
        let token = padTokenId;
        if (!result.finished[b]) {
          const sampled = sampleToken(logits.subarray(b * V, (b + 1) * V), sampling, rng);
          token = sampled.token;
          result.tokenIds[b]!.push(token);
          result.logProbs[b]!.push(sampled.logProb);
          result.mask[b]!.push(1);
          result.lengths[b]!++;
          if (stopAtEos && token === eosTokenId) result.finished[b] = true;
        } else {
          result.tokenIds[b]!.push(padTokenId);
          result.logProbs[b]!.push(0);
          result.mask[b]!.push(0);
        }
        sequences[b]!.push(token);
        realMask[b]!.push(1);
      }
      if (result.finished.every(Boolean)) break;
    }
  } finally {
    cache?.dispose();
  }
  result.tokenIds.forEach((ids, b) => {
    result.texts.push(tokenizer.decode(ids.slice(0, result.lengths[b])));
  });
  return result;
}

/** Position of each token of a left-padded row: `cumsum(mask) - 1`, 0 on padding. */
function positionIds(mask: readonly number[]): number[] {
  let seen = 0;
  return mask.map((real) => (real ? seen++ : 0));
}
