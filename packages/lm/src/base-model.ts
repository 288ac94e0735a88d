import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataFormatError } from '@dpo-ts/core';
import type { GPT } from './gpt-model.js';
import { loadGPT } from './gpt-weights-io.js';
import type { Tokenizer } from './tokenizer.js';
import { loadTokenizer } from './tokenizer-io.js';

/**
 * Folder of the committed English base model (`models/base-en` in this package): `config.json`,
 * `manifest.json`, `weights.bin` (see `saveGPT`), `tokenizer.json`, `card.json`, `MODEL_CARD.md`.
 */
export const BASE_MODEL_DIR = fileURLToPath(new URL('../models/base-en/', import.meta.url));

/** How a card's samples were drawn, and what they measured. */
export interface BaseModelSampleStatistics {
  /** Softmax temperature of the sampler (1 samples the model's own distribution). */
  readonly temperature: number;
  /** Sample among the `topK` likeliest tokens only; 0 means no top-k cut. */
  readonly topK: number;
  /** Most tokens generated per completion (EOS stops one earlier). */
  readonly maxNewTokens: number;
  /** First sampling seed; prompt i of repeat r uses the batch seeded by `seed`. */
  readonly seed: number;
  /** Completions drawn (prompts x repeats). */
  readonly samples: number;
  /** Share of completion words in `an-array-of-english-words` (see `realWordRate`). */
  readonly realWordRate: number;
  /** Distinct-1 and distinct-2 over completion words (see `distinctN`). */
  readonly distinct1: number;
  /** Distinct-2: distinct word bigrams over all bigrams of the completions, in [0, 1]. */
  readonly distinct2: number;
  /** Mean completion length in tokens (EOS included) and in words. */
  readonly meanLengthTokens: number;
  /** Mean completion length in words. */
  readonly meanLengthWords: number;
  /** Share of completions that sampled EOS within `maxNewTokens`. */
  readonly eosRate: number;
}

/** `card.json` of a base model: what it is, what it saw and how well it writes. */
export interface BaseModelCard {
  /** Name of the model folder, e.g. `'base-en'`. */
  readonly name: string;
  /** Number of trainable parameters (1,585,600 for `base-en`). */
  readonly parameters: number;
  /**
   * The GPT config it was built with (`vocabSize`, `contextLength`, `dModel`, `nLayer`, `nHead`, ...), as in `config.json`.
   */
  readonly model: Readonly<Record<string, unknown>>;
  /** Tokens in the tokenizer's vocabulary (the model's output width). */
  readonly vocabSize: number;
  /** Optimiser steps and tokens (non-padding inputs) seen at the checkpoint written. */
  readonly steps: number;
  /** Optimiser steps the run was planned for (its learning-rate schedule's length). */
  readonly totalSteps: number;
  /** Non-padding input tokens trained on, over every launch up to the checkpoint. */
  readonly tokensSeen: number;
  /** Wall time of every launch of the run up to the card (seconds), the backend, the hardware. */
  readonly wallTimeSeconds: number;
  /** The machine and tfjs backend the run trained on, in words. */
  readonly hardware: string;
  /** Held-out next-token loss: nats per token, perplexity per token and per UTF-8 byte, bits per byte. */
  readonly heldOut: {
    /** Tokens of the held-out text scored. */
    readonly tokens: number;
    /** UTF-8 bytes of the held-out text scored. */
    readonly bytes: number;
    /** Mean next-token cross-entropy, in nats per token. */
    readonly lossPerToken: number;
    /** exp(lossPerToken). */
    readonly perplexityPerToken: number;
    /** exp(total loss / bytes): perplexity per UTF-8 byte, comparable across tokenizers. */
    readonly perplexityPerByte: number;
    /** Total loss in bits divided by bytes (log2 of `perplexityPerByte`). */
    readonly bitsPerByte: number;
  };
  /** `realWordRate` of held-out human text, the ceiling the samples' rate compares with. */
  readonly heldOutTextRealWordRate: number;
  /** Sample statistics; the first entry is the reference (temperature 1). */
  readonly sampling: readonly BaseModelSampleStatistics[];
  /** The prompts the card's samples continue. */
  readonly prompts: readonly string[];
  /** Example completions, one per prompt, from the reference sampling (temperature 1). */
  readonly samples: readonly {
    /** The prompt, one of {@link BaseModelCard.prompts}. */
    readonly prompt: string;
    /** The sampled continuation (without the prompt). */
    readonly completion: string;
  }[];
  readonly [key: string]: unknown;
}

/** A loaded base model: the GPT (the caller disposes it), its tokenizer and card. */
export interface LoadedBaseModel {
  /** The GPT with the saved weights; the caller disposes it. */
  readonly model: GPT;
  /** The byte-level BPE tokenizer the model was trained with (`tokenizer.json`). */
  readonly tokenizer: Tokenizer;
  /** The parsed `card.json`. */
  readonly card: BaseModelCard;
}

/**
 * Loads a base model folder (default: the committed English base, {@link BASE_MODEL_DIR}):
 * weights with `loadGPT`, the tokenizer with `loadTokenizer`, and `card.json`. The model's
 * vocabulary must match the tokenizer's.
 * @throws DataFormatError naming the file when a part is missing, malformed or mismatched.
 * @example
 * const { model, tokenizer, card } = await loadBaseModel();
 * const [sample] = await sampleCompletions(model, tokenizer, ['The ship'], { seed: 0, maxNewTokens: 30 });
 * model.dispose();
 */
export async function loadBaseModel(dir: string = BASE_MODEL_DIR): Promise<LoadedBaseModel> {
  const tokenizerPath = join(dir, 'tokenizer.json');
  const tokenizer = await loadTokenizer(tokenizerPath);
  const cardPath = join(dir, 'card.json');
  let card: BaseModelCard;
  try {
    card = JSON.parse(await readFile(cardPath, 'utf8')) as BaseModelCard;
  } catch (error) {
    throw new DataFormatError(cardPath, 0, `not a readable JSON model card: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const model = await loadGPT(dir);
  if (model.vocabSize !== tokenizer.vocabSize) {
    model.dispose();
    throw new DataFormatError(
      join(dir, 'config.json'),
      0,
      `vocabSize ${model.vocabSize} differs from the tokenizer's ${tokenizer.vocabSize} (${tokenizerPath})`,
    );
  }
  return { model, tokenizer, card };
}
