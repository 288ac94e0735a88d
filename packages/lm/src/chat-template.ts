import { InvalidArgumentError } from '@dpo-ts/core';
import { DEFAULT_CHAT_ROLES, type ChatMessage } from '@dpo-ts/core/data';

/**
 * How a list of chat messages becomes the text a language model reads: each message is
 * `messageStart + role + roleSeparator + content + messageEnd`, one after another; a
 * generation prompt is `messageStart + 'assistant' + roleSeparator` (where the model's reply
 * begins). A data-only stand-in for the Jinja templates of Hugging Face tokenizers: small
 * enough to save in the tokenizer's JSON and to read at a glance.
 *
 * @example
 * applyChatTemplate([{ role: 'user', content: 'Hi' }], CHATML_TEMPLATE, { addGenerationPrompt: true });
 * // '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n'
 */
export interface ChatTemplate {
  /** Text before each message's role. */
  readonly messageStart: string;
  /** Text between the role and the content. */
  readonly roleSeparator: string;
  /** Text after each message's content (the model learns to end its reply with it, then EOS). */
  readonly messageEnd: string;
}

/**
 * ChatML (OpenAI's, used by Qwen and TRL's default `clone_chat_template`), written as plain
 * text markers: a byte-level tokenizer encodes them as any text; a character tokenizer needs
 * `<`, `|`, `_` and the letters in its corpus (or use {@link PLAIN_CHAT_TEMPLATE}).
 */
export const CHATML_TEMPLATE: ChatTemplate = Object.freeze({
  messageStart: '<|im_start|>',
  roleSeparator: '\n',
  messageEnd: '<|im_end|>\n',
});

/** A template for tiny character vocabularies: `user: Hi\nassistant: Hello\n`. */
export const PLAIN_CHAT_TEMPLATE: ChatTemplate = Object.freeze({
  messageStart: '',
  roleSeparator: ': ',
  messageEnd: '\n',
});

/** Options of {@link applyChatTemplate}. */
export interface ApplyChatTemplateOptions {
  /** End with the start of an assistant message (where generation begins). @defaultValue false */
  readonly addGenerationPrompt?: boolean;
  /** The name errors use for the messages. @defaultValue 'messages' */
  readonly argument?: string;
}

/**
 * Validates a chat template (three strings), e.g. one read from a tokenizer's JSON.
 * @throws InvalidArgumentError naming `<argument>.<field>`.
 */
export function resolveChatTemplate(value: unknown, argument = 'chatTemplate'): ChatTemplate {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new InvalidArgumentError(argument, 'an object { messageStart, roleSeparator, messageEnd }', value);
  const template = value as Record<string, unknown>;
  for (const field of ['messageStart', 'roleSeparator', 'messageEnd'] as const) {
    if (typeof template[field] !== 'string')
      throw new InvalidArgumentError(`${argument}.${field}`, 'a string', template[field]);
  }
  const { messageStart, roleSeparator, messageEnd } = template as unknown as ChatTemplate;
  return Object.freeze({ messageStart, roleSeparator, messageEnd });
}

/**
 * Checks a list of TRL chat messages: a non-empty array of objects with a `role` among core's
 * `DEFAULT_CHAT_ROLES` (`system`, `user`, `assistant`, `tool`) and a string `content`.
 * @throws InvalidArgumentError naming the message and field (`trainDataset[3].chosen[1].role`).
 */
export function requireChatMessages(value: unknown, argument: string): ChatMessage[] {
  if (!Array.isArray(value) || value.length === 0)
    throw new InvalidArgumentError(argument, 'a non-empty list of {role, content} messages', value);
  return value.map((message: unknown, index) => {
    const where = `${argument}[${index}]`;
    if (message === null || typeof message !== 'object' || Array.isArray(message))
      throw new InvalidArgumentError(where, 'a {role, content} object', message);
    const { role, content } = message as Record<string, unknown>;
    if (typeof role !== 'string' || !DEFAULT_CHAT_ROLES.includes(role))
      throw new InvalidArgumentError(
        `${where}.role`,
        `one of ${DEFAULT_CHAT_ROLES.map((r) => `"${r}"`).join(', ')}`,
        role,
      );
    if (typeof content !== 'string') throw new InvalidArgumentError(`${where}.content`, 'a string', content);
    return message as ChatMessage;
  });
}

/**
 * Renders messages with `template` (see {@link ChatTemplate}), TRL's / transformers'
 * `apply_chat_template(messages, tokenize=False, add_generation_prompt=...)`.
 * @throws InvalidArgumentError naming the message and field of a malformed message.
 */
export function applyChatTemplate(
  messages: readonly ChatMessage[],
  template: ChatTemplate,
  options: ApplyChatTemplateOptions = {},
): string {
  const checked = requireChatMessages(messages, options.argument ?? 'messages');
  const { messageStart, roleSeparator, messageEnd } = template;
  const text = checked.map(({ role, content }) => `${messageStart}${role}${roleSeparator}${content}${messageEnd}`);
  if (options.addGenerationPrompt) text.push(`${messageStart}assistant${roleSeparator}`);
  return text.join('');
}

/**
 * A conversational prompt and reply as the prompt and completion strings a language model
 * trains on, as TRL's `apply_chat_template` does for prompt-completion and preference data:
 * the prompt rendered with a generation prompt, and the completion the rest of
 * `prompt + completion` rendered whole (`'It is blue.<|im_end|>\n'` with ChatML).
 *
 * @param where - names the record in errors (`trainDataset[3]`).
 * @throws InvalidArgumentError for a malformed message, a prompt that ends with an assistant
 *   message (continuing a reply is not supported), or a completion that does not start with
 *   an assistant message.
 */
export function renderChatTurn(
  prompt: readonly ChatMessage[],
  completion: readonly ChatMessage[],
  template: ChatTemplate,
  where: {
    /** Names the prompt in errors, e.g. `trainDataset[3].prompt`. */
    readonly prompt: string;
    /** Names the completion in errors, e.g. `trainDataset[3].completion`. */
    readonly completion: string;
  },
): {
  /** The prompt messages rendered, ending with the template's generation prompt. */
  prompt: string;
  /** The rest of the whole conversation's rendering after `prompt`: the reply and its end-of-turn marker. */
  completion: string;
} {
  const promptMessages = requireChatMessages(prompt, where.prompt);
  const completionMessages = requireChatMessages(completion, where.completion);
  const last = promptMessages.at(-1)!;
  if (last.role === 'assistant')
    throw new InvalidArgumentError(
      `${where.prompt}[${promptMessages.length - 1}].role`,
      'a role other than "assistant" for the last prompt message (continuing a reply is not supported)',
      last.role,
    );
  if (completionMessages[0]!.role !== 'assistant')
    throw new InvalidArgumentError(`${where.completion}[0].role`, '"assistant"', completionMessages[0]!.role);
  const promptText = applyChatTemplate(promptMessages, template, { addGenerationPrompt: true });
  const whole = applyChatTemplate([...promptMessages, ...completionMessages], template);
  // With an assistant reply first, the whole rendering starts with the prompt's (the generation
  // prompt is the reply's own start).
  return { prompt: promptText, completion: whole.slice(promptText.length) };
}
