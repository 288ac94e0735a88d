import { fingerprintJson } from '@dpo-ts/core/preference';
import type { Tokenizer } from './tokenizer.js';

/**
 * Fingerprint of a tokenizer: its serialised form (`toJSON`: vocabulary or merges, special
 * tokens) and the PAD, BOS and EOS ids that batches add. The data's token ids are covered by the
 * dataset fingerprint; this part catches a tokenizer that maps the same text to the same ids but
 * frames rows with other special tokens, and names the tokenizer when a cache is invalidated.
 */
export function tokenizerFingerprint(
  tokenizer: Partial<Pick<Tokenizer, 'toJSON' | 'padTokenId' | 'bosTokenId' | 'eosTokenId'>>,
): string {
  const serialised = typeof tokenizer.toJSON === 'function' ? tokenizer.toJSON() : null;
  return fingerprintJson({
    serialised,
    pad: tokenizer.padTokenId ?? null,
    bos: tokenizer.bosTokenId ?? null,
    eos: tokenizer.eosTokenId ?? null,
  });
}
