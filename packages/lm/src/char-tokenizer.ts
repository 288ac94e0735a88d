import { InvalidArgumentError, requireOneOf } from '@dpo-ts/core';
import type {
  CharTokenizerJSON,
  DecodeOptions,
  EncodeOptions,
  Tokenizer,
  UnknownCharacterPolicy,
} from './tokenizer.js';

/** Special tokens of a {@link CharTokenizer}, in id order (ids 0..3). */
export const CHAR_SPECIAL_TOKENS = ['<pad>', '<bos>', '<eos>', '<unk>'] as const;

const UNKNOWN_POLICIES = ['unk', 'error', 'skip'] as const satisfies readonly UnknownCharacterPolicy[];

/** Options for {@link CharTokenizer.fromCorpus}. */
export interface CharTokenizerOptions {
  /**
   * What `encode` does with a character not seen in the corpus; see
   * {@link UnknownCharacterPolicy}.
   * @defaultValue 'unk'
   */
  readonly unknown?: UnknownCharacterPolicy;
  /** Characters to include even if the corpus lacks them (for example `'\n'`). @defaultValue '' */
  readonly extraCharacters?: string;
}

/**
 * A character-level tokenizer: one token per Unicode code point seen in the corpus it was
 * built from, plus PAD (0), BOS (1), EOS (2) and UNK (3). The default tokenizer of the
 * built-in tasks: tiny vocabularies (the Brown corpus has 85 characters, so 89 tokens) keep
 * the embedding and softmax cheap.
 *
 * Characters get ids in code-point order from 4, so the same character set always gives the
 * same ids. Code points, not UTF-16 units: an emoji is one token.
 *
 * Unknown characters follow the policy given at construction ({@link UnknownCharacterPolicy});
 * with the default `'unk'`, `decode(encode(text)) === text` holds exactly when every character
 * of `text` was in the corpus.
 *
 * @example
 * const tokenizer = CharTokenizer.fromCorpus(['hello world']);
 * tokenizer.encode('hello', { addBos: true }); // [1, 7, 6, 8, 8, 9]
 */
export class CharTokenizer implements Tokenizer {
  readonly type = 'char' as const;
  readonly padTokenId = 0;
  readonly bosTokenId = 1;
  readonly eosTokenId = 2;
  /** Id of `<unk>`. */
  readonly unkTokenId = 3;
  readonly vocabSize: number;
  /** The policy for characters outside the vocabulary. */
  readonly unknown: UnknownCharacterPolicy;
  private readonly characters: readonly string[];
  private readonly idByCharacter: ReadonlyMap<string, number>;

  /**
   * Builds a tokenizer over exactly `characters` (each one code point, no duplicates), in the
   * given order. Prefer {@link CharTokenizer.fromCorpus}.
   */
  constructor(characters: readonly string[], unknown: UnknownCharacterPolicy = 'unk') {
    this.unknown = requireOneOf('unknown', unknown, UNKNOWN_POLICIES);
    const idByCharacter = new Map<string, number>();
    characters.forEach((character, index) => {
      if (typeof character !== 'string' || Array.from(character).length !== 1) {
        throw new InvalidArgumentError(`characters[${index}]`, 'a single Unicode code point', character);
      }
      if (idByCharacter.has(character)) {
        throw new InvalidArgumentError(`characters[${index}]`, 'a character not listed before', character);
      }
      idByCharacter.set(character, CHAR_SPECIAL_TOKENS.length + index);
    });
    this.characters = characters.slice();
    this.idByCharacter = idByCharacter;
    this.vocabSize = CHAR_SPECIAL_TOKENS.length + characters.length;
  }

  /**
   * The tokenizer whose vocabulary is every code point occurring in `corpus` (plus
   * `extraCharacters`), sorted by code point.
   */
  static fromCorpus(corpus: string | Iterable<string>, options: CharTokenizerOptions = {}): CharTokenizer {
    const seen = new Set<string>(Array.from(options.extraCharacters ?? ''));
    for (const text of typeof corpus === 'string' ? [corpus] : corpus) {
      for (const character of text) seen.add(character);
    }
    const characters = [...seen].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    return new CharTokenizer(characters, options.unknown ?? 'unk');
  }

  /** Rebuilds a tokenizer from {@link CharTokenizer.toJSON}'s output. */
  static fromJSON(json: CharTokenizerJSON): CharTokenizer {
    if (json?.type !== 'char') throw new InvalidArgumentError('json.type', '"char"', json?.type);
    if (json.version !== 1) throw new InvalidArgumentError('json.version', '1', json.version);
    if (!Array.isArray(json.characters))
      throw new InvalidArgumentError('json.characters', 'an array of strings', json.characters);
    const specials: unknown = json.specialTokens;
    if (!Array.isArray(specials) || specials.join() !== CHAR_SPECIAL_TOKENS.join()) {
      throw new InvalidArgumentError('json.specialTokens', JSON.stringify(CHAR_SPECIAL_TOKENS), specials);
    }
    return new CharTokenizer(json.characters, json.unknown);
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const ids: number[] = [];
    if (options.addBos) ids.push(this.bosTokenId);
    let position = 0;
    for (const character of text) {
      const id = this.idByCharacter.get(character);
      if (id !== undefined) ids.push(id);
      else if (this.unknown === 'unk') ids.push(this.unkTokenId);
      else if (this.unknown === 'error') {
        throw new InvalidArgumentError(
          'text',
          'characters from the tokenizer vocabulary',
          character,
          `at code point ${position}`,
        );
      }
      position++;
    }
    if (options.addEos) ids.push(this.eosTokenId);
    return ids;
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const skipSpecialTokens = options.skipSpecialTokens ?? true;
    let text = '';
    ids.forEach((id, index) => {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new InvalidArgumentError(`ids[${index}]`, `an integer in [0, ${this.vocabSize})`, id);
      }
      if (id >= CHAR_SPECIAL_TOKENS.length) text += this.characters[id - CHAR_SPECIAL_TOKENS.length]!;
      else if (!skipSpecialTokens) text += CHAR_SPECIAL_TOKENS[id]!;
      else if (id === this.unkTokenId) text += '\uFFFD';
    });
    return text;
  }

  toJSON(): CharTokenizerJSON {
    return {
      type: 'char',
      version: 1,
      specialTokens: [...CHAR_SPECIAL_TOKENS],
      characters: this.characters.slice(),
      unknown: this.unknown,
    };
  }
}
