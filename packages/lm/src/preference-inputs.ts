import { InvalidArgumentError } from '@dpo-ts/core';
import type { ChatMessage } from '@dpo-ts/core/data';
import { renderChatTurn, requireChatMessages, type ChatTemplate } from './chat-template.js';
import { extractPrompt } from './implicit-prompt.js';

/** A text preference pair, TRL's standard format; core's `PreferenceRecord` fits. */
export interface PreferenceTextRecord {
  /** The prompt x, text the model conditions on (not scored). */
  readonly prompt: string;
  /** The preferred completion y_w, continuing the prompt (include any leading space). */
  readonly chosen: string;
  /** The dispreferred completion y_l, continuing the same prompt. */
  readonly rejected: string;
}

/**
 * A preference row lm's `DPOTrainer` accepts, in any of TRL's preference formats:
 * - standard, explicit prompt: `{ prompt, chosen, rejected }` strings;
 * - standard, implicit prompt: `{ chosen, rejected }` strings that share the prompt as a prefix;
 * - conversational, explicit or implicit prompt: the same fields as lists of `{ role, content }`
 *   messages, rendered with the tokenizer's chat template (`withChatTemplate`).
 * Other fields (`margin`, `id`, ...) are ignored.
 */
export type LMPreferenceInput =
  | PreferenceTextRecord
  | {
      /** The prompt followed by the preferred completion; the shared prefix becomes the prompt. */
      readonly chosen: string;
      /** The same prompt followed by the dispreferred completion. */
      readonly rejected: string;
    }
  | {
      /** The conversation so far; omitted: the messages the two sides share. */
      readonly prompt?: readonly ChatMessage[];
      /** The preferred reply (after `prompt`), or the whole conversation when `prompt` is omitted. */
      readonly chosen: readonly ChatMessage[];
      /** The dispreferred reply, or the whole conversation when `prompt` is omitted. */
      readonly rejected: readonly ChatMessage[];
    };

/**
 * One row as the text pair the tokenizer reads, as TRL prepares its datasets: the implicit
 * prompt extracted first (`extractPrompt`, TRL's `maybe_extract_prompt`), then conversational
 * rows rendered with `chatTemplate` (`renderChatTurn`, TRL's `maybe_apply_chat_template`: the
 * prompt with a generation prompt, each response as the rest of prompt + response).
 *
 * @param where - names the row in errors (`trainDataset[3]`).
 * @throws InvalidArgumentError naming the row and field: a field that is neither a string nor a
 *   message list, sides of different formats, a malformed message (`trainDataset[3].chosen[0].role`),
 *   no common prefix for an implicit prompt, a message list without a chat template.
 */
export function toPreferenceTextRecord(
  record: unknown,
  where: string,
  chatTemplate: ChatTemplate | undefined,
): PreferenceTextRecord {
  if (record === null || typeof record !== 'object' || Array.isArray(record))
    throw new InvalidArgumentError(where, 'a { prompt?, chosen, rejected } object', record);
  const { prompt, chosen, rejected } = record as Record<string, unknown>;
  const conversational = [prompt, chosen, rejected].some(Array.isArray);
  if (!conversational) {
    for (const [field, value] of [
      ['chosen', chosen],
      ['rejected', rejected],
      ...(prompt === undefined ? [] : [['prompt', prompt] as const]),
    ] as const) {
      if (typeof value !== 'string') throw new InvalidArgumentError(`${where}.${field}`, 'a string', value);
    }
    if (prompt !== undefined)
      return { prompt: prompt as string, chosen: chosen as string, rejected: rejected as string };
    return extractPrompt(chosen as string, rejected as string, where);
  }
  const chosenMessages = requireChatMessages(chosen, `${where}.chosen`);
  const rejectedMessages = requireChatMessages(rejected, `${where}.rejected`);
  const turn =
    prompt === undefined
      ? extractPrompt(chosenMessages, rejectedMessages, where)
      : { prompt: requireChatMessages(prompt, `${where}.prompt`), chosen: chosenMessages, rejected: rejectedMessages };
  if (chatTemplate === undefined)
    throw new InvalidArgumentError(
      'tokenizer.chatTemplate',
      'a chat template for conversational rows (withChatTemplate(tokenizer))',
      undefined,
      `${where} holds message lists`,
    );
  const names = (side: string) => ({ prompt: `${where}.prompt`, completion: `${where}.${side}` });
  const renderedChosen = renderChatTurn(turn.prompt, turn.chosen, chatTemplate, names('chosen'));
  const renderedRejected = renderChatTurn(turn.prompt, turn.rejected, chatTemplate, names('rejected'));
  return { prompt: renderedChosen.prompt, chosen: renderedChosen.completion, rejected: renderedRejected.completion };
}
