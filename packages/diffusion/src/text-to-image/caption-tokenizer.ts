import { DataFormatError, InvalidArgumentError, requireInteger } from '@dpo-ts/core';
import type { WordNetNouns } from './wordnet-nouns.js';

/** Id of the padding token. */
export const CAPTION_PAD_ID = 0;
/** Id of words outside the vocabulary. */
export const CAPTION_UNKNOWN_ID = 1;

/** The JSON form of a {@link CaptionTokenizer}. */
export interface CaptionTokenizerJSON {
  /** Marks the JSON as a caption tokenizer: always `'dpo-ts.caption-tokenizer'`. */
  readonly format: 'dpo-ts.caption-tokenizer';
  /** Layout version of the JSON: 1 (words only) or 2 (words and WordNet hypernym features). */
  readonly version: 1 | 2;
  /** Words by id from 2 on (ids 0 and 1 are padding and unknown). */
  readonly words: readonly string[];
  /** Version 2: feature ids per word slot (the word's id, then its synsets' ids, padded with 0). */
  readonly featuresPerWord?: number;
  /**
   * Version 2: WordNet hypernym features. `senses`: noun senses per word whose hypernym
   * closure counts; `synsets`: the synset offsets with an id, in id order from
   * `words.length + 2` on (those of the training captions' words).
   */
  readonly hypernyms?: {
    /** Noun senses per word (most frequent first) whose synsets and ancestors are features. */
    readonly senses: number;
    /** `data.noun` offsets of the synsets with an id, in id order. */
    readonly synsets: readonly number[];
  };
}

/** WordNet hypernym features of a version-2 tokenizer ({@link CaptionVocabularyOptions.hypernyms}). */
export interface CaptionHypernymOptions {
  /** The WordNet noun database (`await WordNetNouns.load()`). */
  readonly wordnet: WordNetNouns;
  /** Noun senses per word (most frequent first) whose synsets and ancestors are features. @defaultValue 3 */
  readonly senses?: number;
  /**
   * Ids per word slot: the word's own id, then its synsets' (nearest first: the most general,
   * such as `entity`, are dropped first), padded with 0. @defaultValue 24
   */
  readonly featuresPerWord?: number;
}

/** Options of {@link CaptionTokenizer.fromCaptions}. */
export interface CaptionVocabularyOptions {
  /** Keep words seen at least this often. @defaultValue 1 */
  readonly minCount?: number;
  /** Keep at most this many words (the most frequent; ties alphabetical). @defaultValue unlimited */
  readonly maxWords?: number;
  /** Adds WordNet hypernym features (a version-2 tokenizer). @defaultValue none (version 1: words only) */
  readonly hypernyms?: CaptionHypernymOptions;
}

/** What a version-2 tokenizer reads besides its words: see {@link CaptionTokenizerJSON.hypernyms}. */
interface HypernymFeatures {
  readonly wordnet: WordNetNouns;
  readonly senses: number;
  readonly synsets: readonly number[];
  readonly featuresPerWord: number;
}

/**
 * A word-level tokenizer for short captions (`red apple`, `flag: Egypt`): lower-cased, split
 * on anything that is not a letter or digit (Unicode-aware), ids from a vocabulary built over
 * the training captions; padding is id 0, unknown words id 1. Emoji captions use ~1,600
 * distinct words, so a word vocabulary is small and every id carries meaning (a BPE would
 * split rare names into pieces the tiny encoder cannot compose).
 *
 * Version 2 adds knowledge from elsewhere for words the training captions never use: each word
 * becomes a slot of `featuresPerWord` ids, its own id (when known) and the ids of its WordNet
 * noun synsets and their hypernyms that the training captions' words also reach, so an unseen
 * "octopus" shares cephalopod, mollusk and animal with a seen "squid" (the caption encoder
 * averages a slot's embeddings, fastText-style). A word with no feature at all is the unknown
 * id. Measured on the emoji split (docs/text-to-image-base.md): the nearest training caption of
 * an all-unknown held-out caption is in its subcategory for 0.49 of them with these features,
 * 0.00 with words alone (chance 0.01).
 * @see Bojanowski et al. 2017 (a word as the sum of its feature vectors); Miller 1995 (WordNet).
 */
export class CaptionTokenizer {
  private readonly ids: ReadonlyMap<string, number>;
  private readonly synsetIds: ReadonlyMap<number, number>;
  private readonly featureCache = new Map<string, readonly number[]>();

  private constructor(
    /** The vocabulary: word i has id i + 2 (ids 0 and 1 are padding and unknown). */
    readonly words: readonly string[],
    private readonly hypernyms?: HypernymFeatures,
  ) {
    this.ids = new Map(words.map((word, i) => [word, i + 2]));
    this.synsetIds = new Map((hypernyms?.synsets ?? []).map((offset, i) => [offset, words.length + 2 + i]));
  }

  /** The words of a caption, as the tokenizer sees them. */
  static words(caption: string): string[] {
    return caption
      .toLowerCase()
      .split(/[^\p{L}\p{N}]+/u)
      .filter((word) => word.length > 0);
  }

  /**
   * Builds the vocabulary from captions (the training split's, so held-out words stay unknown);
   * with `options.hypernyms`, also the WordNet synsets their words reach (version 2).
   * @throws InvalidArgumentError naming `minCount`, `maxWords`, `hypernyms.senses` or `hypernyms.featuresPerWord`.
   */
  static fromCaptions(captions: Iterable<string>, options: CaptionVocabularyOptions = {}): CaptionTokenizer {
    const minCount = requireInteger('minCount', options.minCount ?? 1, { min: 1 });
    const maxWords =
      options.maxWords === undefined ? Infinity : requireInteger('maxWords', options.maxWords, { min: 1 });
    const counts = new Map<string, number>();
    for (const caption of captions)
      for (const word of CaptionTokenizer.words(caption)) counts.set(word, (counts.get(word) ?? 0) + 1);
    const byCount = ([a, ca]: [string | number, number], [b, cb]: [string | number, number]): number =>
      cb - ca || (a < b ? -1 : a > b ? 1 : 0);
    const words = [...counts]
      .filter(([, count]) => count >= minCount)
      .sort(byCount)
      .slice(0, maxWords)
      .map(([word]) => word);
    if (!options.hypernyms) return new CaptionTokenizer(words);
    const { wordnet } = options.hypernyms;
    const senses = requireInteger('hypernyms.senses', options.hypernyms.senses ?? 3, { min: 1 });
    const featuresPerWord = requireInteger('hypernyms.featuresPerWord', options.hypernyms.featuresPerWord ?? 24, {
      min: 2,
    });
    // Synsets by how many caption words reach them (ties by offset): ids stable for a caption set.
    const synsetCounts = new Map<number, number>();
    for (const [word, count] of counts)
      for (const offset of wordnet.hypernymClosure(word, senses))
        synsetCounts.set(offset, (synsetCounts.get(offset) ?? 0) + count);
    const synsets = [...synsetCounts].sort(byCount).map(([offset]) => offset as number);
    return new CaptionTokenizer(words, { wordnet, senses, synsets, featuresPerWord });
  }

  /**
   * Restores a tokenizer from {@link CaptionTokenizer.toJSON}; `file` names the source in errors.
   * A version-2 tokenizer with hypernym features needs `options.wordnet` (`WordNetNouns.load()`).
   * @throws DataFormatError naming `file` when the JSON is malformed.
   * @throws InvalidArgumentError naming `options.wordnet` when it is needed and missing.
   */
  static fromJSON(
    json: unknown,
    file = '<tokenizer>',
    options: { readonly wordnet?: WordNetNouns } = {},
  ): CaptionTokenizer {
    const value = json as Partial<CaptionTokenizerJSON> | null;
    if (
      value?.format !== 'dpo-ts.caption-tokenizer' ||
      (value.version !== 1 && value.version !== 2) ||
      !Array.isArray(value.words) ||
      value.words.some((w) => typeof w !== 'string')
    ) {
      throw new DataFormatError(
        file,
        0,
        'not a dpo-ts.caption-tokenizer version 1 or 2 object with a words array of strings',
      );
    }
    if (value.version === 1) return new CaptionTokenizer([...value.words]);
    const { hypernyms, featuresPerWord } = value;
    if (
      !Number.isInteger(featuresPerWord) ||
      (featuresPerWord as number) < 2 ||
      !Number.isInteger(hypernyms?.senses) ||
      !Array.isArray(hypernyms?.synsets) ||
      hypernyms.synsets.some((offset) => !Number.isInteger(offset))
    )
      throw new DataFormatError(
        file,
        0,
        'a version 2 caption tokenizer needs featuresPerWord >= 2 and hypernyms { senses, synsets }',
      );
    if (!options.wordnet)
      throw new InvalidArgumentError(
        'options.wordnet',
        'WordNet nouns (WordNetNouns.load()) for a tokenizer with hypernym features',
        undefined,
        file,
      );
    return new CaptionTokenizer([...value.words], {
      wordnet: options.wordnet,
      senses: hypernyms.senses,
      synsets: [...hypernyms.synsets],
      featuresPerWord: featuresPerWord as number,
    });
  }

  /** Vocabulary size including padding and unknown (and, in version 2, the synset features). */
  get vocabSize(): number {
    return this.words.length + 2 + this.synsetIds.size;
  }

  /** Ids per word slot: 1 in version 1, `featuresPerWord` in version 2 (the encoder's `featuresPerToken`). */
  get featuresPerWord(): number {
    return this.hypernyms?.featuresPerWord ?? 1;
  }

  /**
   * The feature ids of one word: its id when known, then (version 2) the ids of its synsets
   * and their hypernyms, nearest first, at most `featuresPerWord`; `[CAPTION_UNKNOWN_ID]` when none.
   */
  wordFeatures(word: string): readonly number[] {
    const cached = this.featureCache.get(word);
    if (cached) return cached;
    const features: number[] = [];
    const id = this.ids.get(word);
    if (id !== undefined) features.push(id);
    if (this.hypernyms) {
      for (const offset of this.hypernyms.wordnet.hypernymClosure(word, this.hypernyms.senses)) {
        const synsetId = this.synsetIds.get(offset);
        if (synsetId !== undefined) features.push(synsetId);
      }
    }
    const result = features.length === 0 ? [CAPTION_UNKNOWN_ID] : features.slice(0, this.featuresPerWord);
    this.featureCache.set(word, result);
    return result;
  }

  /**
   * Token ids of one caption, truncated or padded with {@link CAPTION_PAD_ID} to `maxLength`:
   * `maxLength / featuresPerWord` word slots of {@link CaptionTokenizer.wordFeatures}, each padded
   * to `featuresPerWord` ids. An empty caption is all padding (the text encoder's "no caption").
   * @throws InvalidArgumentError naming `maxLength` when it is not a positive multiple of `featuresPerWord`.
   */
  encode(caption: string, maxLength: number): Int32Array {
    if (typeof caption !== 'string') throw new InvalidArgumentError('caption', 'a string', caption);
    requireInteger('maxLength', maxLength, { min: 1 });
    const perWord = this.featuresPerWord;
    if (maxLength % perWord !== 0)
      throw new InvalidArgumentError('maxLength', `a multiple of featuresPerWord (${perWord})`, maxLength);
    const ids = new Int32Array(maxLength); // zero = padding
    CaptionTokenizer.words(caption)
      .slice(0, maxLength / perWord)
      .forEach((word, i) => {
        ids.set(this.wordFeatures(word), i * perWord);
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

  /** The JSON form, for checkpoints: version 1 without hypernym features, else version 2. */
  toJSON(): CaptionTokenizerJSON {
    if (!this.hypernyms) return { format: 'dpo-ts.caption-tokenizer', version: 1, words: this.words };
    return {
      format: 'dpo-ts.caption-tokenizer',
      version: 2,
      words: this.words,
      featuresPerWord: this.hypernyms.featuresPerWord,
      hypernyms: { senses: this.hypernyms.senses, synsets: this.hypernyms.synsets },
    };
  }
}
