import { describe, expect, it } from 'vitest';
import {
  applyChatTemplate,
  CHATML_TEMPLATE,
  PLAIN_CHAT_TEMPLATE,
  renderChatTurn,
  resolveChatTemplate,
} from './chat-template.js';

const PROMPT = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'What color is the sky?' },
];

describe('applyChatTemplate', () => {
  it('renders ChatML, with and without a generation prompt (golden strings)', () => {
    expect(applyChatTemplate(PROMPT, CHATML_TEMPLATE)).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhat color is the sky?<|im_end|>\n',
    );
    expect(applyChatTemplate(PROMPT, CHATML_TEMPLATE, { addGenerationPrompt: true })).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhat color is the sky?<|im_end|>\n<|im_start|>assistant\n',
    );
  });

  it('renders the plain template for small vocabularies', () => {
    const messages = [
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: '' },
    ];
    expect(applyChatTemplate(messages, PLAIN_CHAT_TEMPLATE)).toBe('user: hi\nassistant: \n');
    expect(applyChatTemplate(messages.slice(0, 1), PLAIN_CHAT_TEMPLATE, { addGenerationPrompt: true })).toBe(
      'user: hi\nassistant: ',
    );
  });

  it('names the message and field of a malformed list', () => {
    expect(() => applyChatTemplate([], CHATML_TEMPLATE)).toThrow(
      'messages must be a non-empty list of {role, content} messages: got []',
    );
    expect(() =>
      applyChatTemplate([{ role: 'assitant', content: 'x' }], CHATML_TEMPLATE, { argument: 'rows[2].chosen' }),
    ).toThrow('rows[2].chosen[0].role must be one of "system", "user", "assistant", "tool": got "assitant"');
    expect(() => applyChatTemplate([{ role: 'user', content: 3 } as never], CHATML_TEMPLATE)).toThrow(
      'messages[0].content must be a string: got 3',
    );
    expect(() => applyChatTemplate(['hi'] as never, CHATML_TEMPLATE)).toThrow(
      'messages[0] must be a {role, content} object',
    );
  });
});

describe('renderChatTurn', () => {
  it("gives TRL's prompt (with a generation prompt) and completion (the rest of the whole rendering)", () => {
    const turn = renderChatTurn(PROMPT, [{ role: 'assistant', content: 'It is blue.' }], CHATML_TEMPLATE, {
      prompt: 'p',
      completion: 'c',
    });
    expect(turn).toEqual({
      prompt:
        '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhat color is the sky?<|im_end|>\n<|im_start|>assistant\n',
      completion: 'It is blue.<|im_end|>\n',
    });
  });

  it('refuses a prompt ending with a reply and a completion not starting with one', () => {
    const names = { prompt: 'row.prompt', completion: 'row.chosen' };
    expect(() =>
      renderChatTurn(
        [{ role: 'assistant', content: 'a' }],
        [{ role: 'assistant', content: 'b' }],
        CHATML_TEMPLATE,
        names,
      ),
    ).toThrow('row.prompt[0].role must be a role other than "assistant"');
    expect(() =>
      renderChatTurn([{ role: 'user', content: 'a' }], [{ role: 'user', content: 'b' }], CHATML_TEMPLATE, names),
    ).toThrow('row.chosen[0].role must be "assistant": got "user"');
  });
});

describe('resolveChatTemplate', () => {
  it('accepts three strings and names a bad field', () => {
    expect(resolveChatTemplate({ ...CHATML_TEMPLATE })).toEqual(CHATML_TEMPLATE);
    expect(() =>
      resolveChatTemplate({ messageStart: '', roleSeparator: 1, messageEnd: '' }, 'json.chatTemplate'),
    ).toThrow('json.chatTemplate.roleSeparator must be a string: got 1');
  });
});
