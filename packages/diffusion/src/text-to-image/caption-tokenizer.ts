import { DataFormatError, InvalidArgumentError, requireInteger } from '@dpo-ts/core';

/** Id of the padding token. */
export const CAPTION_PAD_ID = 0;
/** Id of words outside the vocabulary. */
export const CAPTION_UNKNOWN_ID = 1;

/** The JSON form of a {@link CaptionTokenizer}. */
export interface CaptionTokenizerJSON {
  /** Marks the JSON as a caption tokenizer: always `'dpo-ts.caption-tokenizer'`. */
  readonly format: 'dpo-ts.caption-tokenizer';
  /** Layout version of the JSON; only 1 exists. */
  readonly version: 1;
  /** Words by id from 2 on (ids 0 and 1 are padding and unknown). */
  readonly words: readonly string[];
}

/** Options of {@link CaptionTokenizer.fromCaptions}. */
export interface CaptionVocabularyOptions {
  /** Keep words seen at least this often. @defaultValue 1 */
  readonly minCount?: number;
  /** Keep at most this many words (the most frequent; ties alphabetical). @defaultValue unlimited */
  readonly maxWords?: number;
}

/**
 * A word-level tokenizer for short captions (`red apple`, `flag: Egypt`): lower-cased, split
 * on anything that is not a letter or digit (Unicode-aware), ids from a vocabulary built over
 * the training captions; padding is id 0, unknown words id 1. Emoji captions use ~1,600
 * distinct words, so a word vocabulary is small and every id carries meaning (a BPE would
 * split rare names into pieces the tiny encoder cannot compose).
 */
export class CaptionTokenizer {
  private readonly ids: ReadonlyMap<string, number>;

  private constructor(
    /** The vocabulary: word i has id i + 2 (ids 0 and 1 are padding and unknown). */
    readonly words: readonly string[],
  ) {
    this.ids = new Map(words.map((word, i) => [word, i + 2]));
  }

  /** The words of a caption, as the tokenizer sees them. */
  static words(caption: string): string[] {
    return caption
      .toLowerCase()
      .split(/[^\p{L}\p{N}]+/u)
      .filter((word) => word.length > 0);
  }

  /** Builds the vocabulary from captions (the training split's, so held-out words stay unknown). */
  static fromCaptions(captions: Iterable<string>, options: CaptionVocabularyOptions = {}): CaptionTokenizer {
    const minCount = requireInteger('minCount', options.minCount ?? 1, { min: 1 });
    const maxWords =
      options.maxWords === undefined ? Infinity : requireInteger('maxWords', options.maxWords, { min: 1 });
    const counts = new Map<string, number>();
    for (const caption of captions)
      for (const word of CaptionTokenizer.words(caption)) counts.set(word, (counts.get(word) ?? 0) + 1);
    const words = [...counts]
      .filter(([, count]) => count >= minCount)
      .sort(([a, ca], [b, cb]) => cb - ca || (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, maxWords)
      .map(([word]) => word);
    return new CaptionTokenizer(words);
  }

  /** Restores a tokenizer from {@link CaptionTokenizer.toJSON}; `file` names the source in errors. */
  static fromJSON(json: unknown, file = '<tokenizer>'): CaptionTokenizer {
    const value = json as Partial<CaptionTokenizerJSON> | null;
    if (
      value?.format !== 'dpo-ts.caption-tokenizer' ||
      value.version !== 1 ||
      !Array.isArray(value.words) ||
      value.words.some((w) => typeof w !== 'string')
    ) {
      throw new DataFormatError(
        file,
        0,
        'not a dpo-ts.caption-tokenizer version 1 object with a words array of strings',
      );
    }
    return new CaptionTokenizer([...value.words]);
  }

  /** Vocabulary size including padding and unknown. */
  get vocabSize(): number {
    return this.words.length + 2;
  }

  /**
   * Token ids of one caption, truncated or padded with {@link CAPTION_PAD_ID} to `maxLength`.
   * An empty caption is all padding (the text encoder's "no caption").
   */
  encode(caption: string, maxLength: number): Int32Array {
    if (typeof caption !== 'string') throw new InvalidArgumentError('caption', 'a string', caption);
    requireInteger('maxLength', maxLength, { min: 1 });
    const ids = new Int32Array(maxLength); // zero = padding
    CaptionTokenizer.words(caption)
      .slice(0, maxLength)
      .forEach((word, i) => {
        ids[i] = this.ids.get(word) ?? CAPTION_UNKNOWN_ID;
      });
    return ids;
  }

  /** Ids of many captions, `[captions.length * maxLength]` row-major. */
  encodeBatch(captions: readonly string[], maxLength: number): Int32Array {
    const ids = new Int32Array(captions.length * maxLength);
    captions.forEach((caption, i) => {
      ids.set(this.encode(caption, maxLength), i * maxLength);
    });
    return ids;
  }

  /** The JSON form, for checkpoints. */
  toJSON(): CaptionTokenizerJSON {
    return { format: 'dpo-ts.caption-tokenizer', version: 1, words: this.words };
  }
}
