import type { ChatMessage } from '@dpo-ts/core/data';
import { InvalidArgumentError } from '@dpo-ts/core';
import { applyChatTemplate, renderChatTurn, type ChatTemplate } from './chat-template.js';

/**
 * One SFT example in one of TRL's two text formats: language modelling (`{ text }`, core's
 * `TextRecord`) or prompt-completion (`{ prompt, completion }`).
 */
export type SFTRecord =
  | {
      /** The whole example, trained on every token (language modelling). */
      readonly text: string;
    }
  | {
      /** The context the model conditions on; scored only when `completionOnlyLoss` is false. */
      readonly prompt: string;
      /** The continuation to learn, appended to the prompt as is (include any leading space). */
      readonly completion: string;
    };

/**
 * An SFT row lm's `SFTTrainer` accepts, in any of TRL's SFT formats: language modelling
 * `{ text }`, prompt-completion `{ prompt, completion }` strings, conversational
 * `{ messages }` (the whole conversation is trained on, as TRL's default) or conversational
 * prompt-completion (`prompt` and `completion` as message lists), the last two rendered with
 * the tokenizer's chat template (`withChatTemplate`).
 */
export type LMSFTInput =
  | SFTRecord
  | {
      /** A whole conversation of `{ role, content }` messages, rendered with the chat template and trained on whole. */
      readonly messages: readonly ChatMessage[];
    }
  | {
      /** The conversation so far (context; rendered with a generation prompt). */
      readonly prompt: readonly ChatMessage[];
      /** The assistant reply to learn, starting with an assistant message. */
      readonly completion: readonly ChatMessage[];
    };

/**
 * One SFT row as text: `{ messages }` becomes `{ text }` (the rendered conversation, TRL's
 * `apply_chat_template(messages)`); conversational prompt-completion becomes the prompt with a
 * generation prompt and the completion as the rest (see `renderChatTurn`); text rows pass
 * through unchanged (the tokenizing step checks them).
 *
 * @param where - names the row in errors (`records[3]`).
 * @throws InvalidArgumentError naming the row and field for a malformed message, or for
 *   message lists without a chat template.
 */
export function toSFTTextRecord(record: unknown, where: string, chatTemplate: ChatTemplate | undefined): SFTRecord {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return record as SFTRecord;
  const { messages, prompt, completion } = record as Record<string, unknown>;
  const conversational = messages !== undefined || Array.isArray(prompt) || Array.isArray(completion);
  if (!conversational) return record as SFTRecord;
  if (chatTemplate === undefined)
    throw new InvalidArgumentError(
      'tokenizer.chatTemplate',
      'a chat template for conversational rows (withChatTemplate(tokenizer))',
      undefined,
      `${where} holds message lists`,
    );
  if (messages !== undefined)
    return { text: applyChatTemplate(messages as ChatMessage[], chatTemplate, { argument: `${where}.messages` }) };
  return renderChatTurn(prompt as ChatMessage[], completion as ChatMessage[], chatTemplate, {
    prompt: `${where}.prompt`,
    completion: `${where}.completion`,
  });
}
