import { InvalidArgumentError } from '@dpo-ts/core';
import type { Tokenizer } from '@dpo-ts/lm';

/**
 * BOS + the prompt's ids, keeping the end of a prompt longer than `maxPromptLength` tokens
 * (BOS included): the part nearest the completion matters most, as TRL's left truncation.
 */
export function encodePrompt(tokenizer: Tokenizer, prompt: string, maxPromptLength: number): number[] {
  const ids = tokenizer.encode(prompt);
  return [tokenizer.bosTokenId, ...ids.slice(Math.max(0, ids.length - (maxPromptLength - 1)))];
}

/**
 * Checks a `{ prompt }` dataset: an array of at least `minimum` records whose `prompt` is a
 * string, and returns the prompts.
 * @throws InvalidArgumentError naming the option (`trainDataset`) or the record (`trainDataset[3].prompt`).
 */
export function datasetPrompts(argument: string, dataset: unknown, minimum: number): string[] {
  if (!Array.isArray(dataset) || dataset.length < minimum) {
    throw new InvalidArgumentError(
      argument,
      `an array of at least ${minimum} { prompt } records`,
      Array.isArray(dataset) ? `${dataset.length} records` : dataset,
    );
  }
  return dataset.map((record, i) => {
    const prompt = (record as { prompt?: unknown } | null)?.prompt;
    if (typeof prompt !== 'string') throw new InvalidArgumentError(`${argument}[${i}].prompt`, 'a string', prompt);
    return prompt;
  });
}
