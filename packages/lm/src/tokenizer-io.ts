import { DataFormatError, InvalidArgumentError } from '@dpo-ts/core';
import { readJsonFile, writeFileAtomic } from '@dpo-ts/core/io';
import { ByteBPETokenizer } from './byte-bpe-tokenizer.js';
import { CharTokenizer } from './char-tokenizer.js';
import { resolveChatTemplate } from './chat-template.js';
import { withChatTemplate } from './chat-tokenizer.js';
import type { Tokenizer, TokenizerJSON } from './tokenizer.js';

/**
 * Rebuilds a tokenizer from the JSON any tokenizer's `toJSON()` returns, choosing the class
 * by `json.type`, with its chat template when the JSON has one (`withChatTemplate`). Throws `InvalidArgumentError` on an unknown type or a malformed field.
 */
export function tokenizerFromJSON(json: TokenizerJSON): Tokenizer {
  const chatTemplate = json?.chatTemplate;
  const tokenizer = vocabularyFromJSON(json);
  return chatTemplate === undefined
    ? tokenizer
    : withChatTemplate(tokenizer, resolveChatTemplate(chatTemplate, 'json.chatTemplate'));
}

function vocabularyFromJSON(json: TokenizerJSON): Tokenizer {
  switch (json?.type) {
    case 'char':
      return CharTokenizer.fromJSON(json);
    case 'byte-bpe':
      return ByteBPETokenizer.fromJSON(json);
    default:
      throw new InvalidArgumentError('json.type', 'one of "char", "byte-bpe"', (json as { type?: unknown })?.type);
  }
}

/**
 * Writes `tokenizer.toJSON()` to `path` as JSON, atomically (a temporary file in the same
 * folder, then a rename), so a crash never leaves a half-written tokenizer.
 */
export async function saveTokenizer(path: string, tokenizer: Tokenizer): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(tokenizer.toJSON())}\n`);
}

/**
 * Reads a tokenizer written by {@link saveTokenizer}. Throws `DataFormatError` naming the file
 * when it is not valid JSON or not a tokenizer.
 */
export async function loadTokenizer(path: string): Promise<Tokenizer> {
  const json = await readJsonFile(path);
  try {
    return tokenizerFromJSON(json as unknown as TokenizerJSON);
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new DataFormatError(path, 0, error.message, { cause: error });
    throw error;
  }
}
