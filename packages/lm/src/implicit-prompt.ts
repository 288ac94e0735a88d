import { InvalidArgumentError } from '@dpo-ts/core';
import type { ChatMessage } from '@dpo-ts/core/data';

/** A pair whose prompt was extracted by {@link extractPrompt}. */
export interface ExtractedPrompt<T> {
  /** The longest shared prefix of the two sides (by character for strings, by message for lists). */
  readonly prompt: T;
  /** The chosen side with the prompt removed. */
  readonly chosen: T;
  /** The rejected side with the prompt removed. */
  readonly rejected: T;
}

/**
 * TRL's `extract_prompt` (what `maybe_extract_prompt` applies to rows without a `prompt`):
 * the longest common prefix of `chosen` and `rejected` becomes the prompt and the rest the
 * two responses. Strings are compared character by character, and when the character before
 * the first difference is a space, the space goes to the responses (`'Q: sky? It is blue'` /
 * `'Q: sky? It is green'` gives the prompt `'Q: sky? It is'` and responses `' blue'`,
 * `' green'`). Message lists are compared message by message (role, content and any other
 * field), so the prompt is the shared conversation and the responses the differing replies.
 *
 * As TRL's loop does, when one side is a prefix of the other (or both are equal) the prompt
 * is everything but the last element of the shorter side.
 *
 * @param where - names the record in errors (`trainDataset[3]`).
 * @throws InvalidArgumentError naming `where` when the two sides share no prefix (nothing
 *   would be left as the prompt): give the row a `prompt` field instead.
 * @see huggingface/trl `trl/data_utils.py`, `extract_prompt` and `maybe_extract_prompt`.
 */
export function extractPrompt<T extends string | readonly ChatMessage[]>(
  chosen: T,
  rejected: T,
  where: string,
): ExtractedPrompt<T> {
  const length = Math.min(chosen.length, rejected.length);
  let index = 0;
  // Python's `for idx in range(n): ... break` leaves idx at n - 1 when nothing differs.
  for (index = 0; index < length; index++) {
    if (!sameElement(chosen[index]!, rejected[index]!)) {
      if (chosen[index - 1] === ' ') index -= 1;
      break;
    }
  }
  if (index === length) index = length - 1;
  if (index <= 0) {
    throw new InvalidArgumentError(
      where,
      'chosen and rejected that share a prefix (the implicit prompt), or a prompt field',
      'no common prefix',
      `chosen starts ${preview(chosen)}, rejected starts ${preview(rejected)}`,
    );
  }
  return {
    prompt: chosen.slice(0, index) as T,
    chosen: chosen.slice(index) as T,
    rejected: rejected.slice(index) as T,
  };
}

function sameElement(a: string | ChatMessage, b: string | ChatMessage): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length && keys.every((key) => JSON.stringify(a[key]) === JSON.stringify(b[key]))
  );
}

function preview(side: string | readonly ChatMessage[]): string {
  const first = typeof side === 'string' ? side.slice(0, 20) : side[0];
  return JSON.stringify(first ?? '');
}
