import type { FieldCodec, FieldParseResult } from './field-codec.js';
import { fieldFailure, fieldOk } from './field-codec.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';

/**
 * One chat message of TRL's conversational format. Keys besides `role` and `content`
 * (`name`, `tool_calls`, ...) are kept as they are, so nothing is lost on a round trip.
 */
export interface ChatMessage {
  /** Who speaks: `system`, `user`, `assistant`, `tool` by default. */
  readonly role: string;
  /** The message text; may be empty (an empty assistant reply is a legal completion). */
  readonly content: string;
  readonly [key: string]: unknown;
}

/** Options of {@link conversationalField}. */
export interface ConversationalFieldOptions {
  /**
   * Roles a message may have; anything else (a typo such as `assitant`) is rejected.
   * @defaultValue `['system', 'user', 'assistant', 'tool']`
   */
  readonly roles?: readonly string[];
}

/** The roles {@link conversationalField} accepts unless told otherwise. */
export const DEFAULT_CHAT_ROLES: readonly string[] = Object.freeze(['system', 'user', 'assistant', 'tool']);

/**
 * TRL's conversational format: a non-empty list of `{role, content}` messages.
 *
 * ```json
 * {"prompt": [{"role": "user", "content": "What color is the sky?"}],
 *  "chosen": [{"role": "assistant", "content": "It is blue."}],
 *  "rejected": [{"role": "assistant", "content": "It is green."}]}
 * ```
 *
 * `content` must be a string (multimodal content parts are not supported yet). The chat
 * template is applied by the model package, not here.
 *
 * @throws InvalidArgumentError when `roles` is empty or not a list of non-empty strings.
 * @example
 * const pairs = await loadPreferenceJsonl('chat.jsonl', CONVERSATIONAL_PREFERENCE_SCHEMA);
 * pairs[0]?.chosen.at(-1)?.content;
 */
export function conversationalField(options: ConversationalFieldOptions = {}): FieldCodec<ChatMessage[]> {
  const roles = options.roles ?? DEFAULT_CHAT_ROLES;
  if (!Array.isArray(roles) || roles.length === 0 || roles.some((role) => typeof role !== 'string' || role === '')) {
    throw new InvalidArgumentError('roles', 'a non-empty list of non-empty strings', roles);
  }
  const allowed = new Set(roles);
  const roleList = roles.map((role) => `"${role}"`).join(', ');
  const expected = 'a non-empty list of {role, content} messages';
  return {
    expected,
    parse(value): FieldParseResult<ChatMessage[]> {
      if (!Array.isArray(value) || value.length === 0) return fieldFailure(expected, value);
      const messages: ChatMessage[] = [];
      for (const [index, message] of value.entries()) {
        if (typeof message !== 'object' || message === null || Array.isArray(message)) {
          return fieldFailure('a {role, content} object', message, { path: `[${index}]` });
        }
        const { role, content } = message as Record<string, unknown>;
        if (typeof role !== 'string' || !allowed.has(role)) {
          return fieldFailure(`one of ${roleList}`, role, { path: `[${index}].role` });
        }
        if (typeof content !== 'string') return fieldFailure('a string', content, { path: `[${index}].content` });
        messages.push({ ...(message as Record<string, unknown>), role, content });
      }
      return fieldOk(messages);
    },
    serialize: (value) => value.map((message) => ({ ...message })),
  };
}
