import { DataFormatError, InvalidArgumentError } from '@dpo-ts/core';
import { loadJsonl, type JsonlReadOptions } from '@dpo-ts/core/data';
import { PLAIN_CHAT_TEMPLATE } from './chat-template.js';
import { toPreferenceTextRecord, type LMPreferenceInput } from './preference-inputs.js';
import { toSFTTextRecord, type LMSFTInput } from './sft-inputs.js';

/**
 * Reads a JSONL file of preference rows in any of TRL's formats ({@link LMPreferenceInput}:
 * explicit or implicit prompt, text or conversational), checking every row as the trainer
 * will (fields, message lists, a common prefix for an implicit prompt) so a bad row fails
 * here with its file and line. Rows are returned as read; `DPOTrainer` renders them with the
 * tokenizer's chat template.
 *
 * @throws DataFormatError `file:line: <field> must be ...` for a malformed row
 *   (`chat.jsonl:3: record.chosen[1].role must be one of "system", "user", "assistant", "tool": got "bot"`),
 *   and for what core's `loadJsonl` refuses (invalid JSON, no records).
 * @example
 * const pairs = await loadLMPreferenceJsonl('pairs.jsonl');
 * const trainer = await DPOTrainer.create({ model, tokenizer: withChatTemplate(tokenizer), trainDataset: pairs, config });
 */
export function loadLMPreferenceJsonl(path: string, options: JsonlReadOptions = {}): Promise<LMPreferenceInput[]> {
  return loadJsonl(
    path,
    (object, location) => {
      // Any template checks the messages; the trainer renders with the tokenizer's own.
      checked(location, () => toPreferenceTextRecord(object, 'record', PLAIN_CHAT_TEMPLATE));
      return object as unknown as LMPreferenceInput;
    },
    options,
  );
}

/**
 * Reads a JSONL file of SFT rows in any of TRL's formats ({@link LMSFTInput}: `text`,
 * `prompt`/`completion` strings or message lists, `messages`), checking message lists so a
 * bad row fails with its file and line.
 * @throws DataFormatError `file:line: <field> must be ...` for a malformed row.
 */
export function loadLMSFTJsonl(path: string, options: JsonlReadOptions = {}): Promise<LMSFTInput[]> {
  return loadJsonl(
    path,
    (object, location) => {
      const text = checked(location, () => toSFTTextRecord(object, 'record', PLAIN_CHAT_TEMPLATE));
      const fields = text as Partial<Record<'text' | 'prompt' | 'completion', unknown>>;
      const isText = typeof fields.text === 'string';
      const isPair = typeof fields.prompt === 'string' && typeof fields.completion === 'string';
      if (!isText && !isPair)
        throw new DataFormatError(
          location.file,
          location.line,
          'expected a row with "text", "messages", or "prompt" and "completion"',
        );
      return object as unknown as LMSFTInput;
    },
    options,
  );
}

function checked<T>(location: { file: string; line: number }, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof InvalidArgumentError)
      throw new DataFormatError(location.file, location.line, error.message, { cause: error });
    throw error;
  }
}
