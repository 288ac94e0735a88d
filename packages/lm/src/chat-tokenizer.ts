import { CHATML_TEMPLATE, resolveChatTemplate, type ChatTemplate } from './chat-template.js';
import type { Tokenizer, TokenizerJSON } from './tokenizer.js';

/**
 * `tokenizer` with a chat template: the same ids, plus `chatTemplate`, which `toJSON()` (and
 * so `saveTokenizer`) writes beside the vocabulary and `loadTokenizer` / `tokenizerFromJSON`
 * restore. lm's dataset loaders render conversational rows with it (SFT `messages`, DPO
 * `prompt` / `chosen` / `rejected` message lists) and `sampleCompletions` renders message-list
 * prompts with it, so training and sampling read the same text.
 *
 * @param template - @defaultValue {@link CHATML_TEMPLATE}
 * @returns a new tokenizer object; `tokenizer` is not changed.
 * @throws InvalidArgumentError naming `template.<field>` for a malformed template.
 * @example
 * const chat = withChatTemplate(ByteBPETokenizer.train(corpus, { vocabSize: 512 }));
 * await saveTokenizer('runs/tokenizer.json', chat); // the template travels with it
 */
export function withChatTemplate(tokenizer: Tokenizer, template: ChatTemplate = CHATML_TEMPLATE): Tokenizer {
  const chatTemplate = resolveChatTemplate(template, 'template');
  const base = tokenizer;
  return Object.freeze({
    type: base.type,
    vocabSize: base.vocabSize,
    padTokenId: base.padTokenId,
    bosTokenId: base.bosTokenId,
    eosTokenId: base.eosTokenId,
    chatTemplate,
    encode: (text: string, options?: Parameters<Tokenizer['encode']>[1]) => base.encode(text, options),
    decode: (ids: readonly number[], options?: Parameters<Tokenizer['decode']>[1]) => base.decode(ids, options),
    toJSON: (): TokenizerJSON => ({ ...base.toJSON(), chatTemplate }),
  });
}
