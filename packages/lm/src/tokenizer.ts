import type { ChatTemplate } from './chat-template.js';
/**
 * Options for {@link Tokenizer.encode}.
 */
export interface EncodeOptions {
  /** Prepend the BOS token. @defaultValue false */
  readonly addBos?: boolean;
  /** Append the EOS token. @defaultValue false */
  readonly addEos?: boolean;
}

/**
 * Options for {@link Tokenizer.decode}.
 */
export interface DecodeOptions {
  /**
   * Drop PAD, BOS and EOS (and, for the character tokenizer, nothing else: `<unk>` always
   * decodes to U+FFFD). When false, special tokens decode to their names (`<eos>`).
   * @defaultValue true
   */
  readonly skipSpecialTokens?: boolean;
}

/** Serialised form of a {@link CharTokenizer}; see its `toJSON`. */
export interface CharTokenizerJSON {
  /** Which tokenizer the file describes: `'char'` for a {@link CharTokenizer}. */
  readonly type: 'char';
  /** Layout version of this JSON; only 1 exists. */
  readonly version: 1;
  /** Special token names in id order: ids 0..3 are PAD, BOS, EOS, UNK. */
  readonly specialTokens: readonly string[];
  /** Characters (whole Unicode code points) in id order, starting at id `specialTokens.length`. */
  readonly characters: readonly string[];
  /** What `encode` does with a character outside `characters`. */
  readonly unknown: UnknownCharacterPolicy;
}

/** Serialised form of a {@link ByteBPETokenizer}; see its `toJSON`. */
export interface ByteBPETokenizerJSON {
  /** Which tokenizer the file describes: `'byte-bpe'` for a {@link ByteBPETokenizer}. */
  readonly type: 'byte-bpe';
  /** Layout version of this JSON; only 1 exists. */
  readonly version: 1;
  /**
   * Merges in rank order: merge i joins the token pair `[left, right]` into token `256 + i`.
   * Ids 0..255 are the bytes.
   */
  readonly merges: readonly (readonly [number, number])[];
  /** Special token names in id order; their ids follow the merges: PAD, BOS, EOS. */
  readonly specialTokens: readonly string[];
}

/** Any serialised tokenizer, told apart by `type`. */
export type TokenizerJSON = (CharTokenizerJSON | ByteBPETokenizerJSON) & {
  /** The chat template of a tokenizer made by `withChatTemplate`. @defaultValue undefined (none) */
  readonly chatTemplate?: ChatTemplate;
};

/**
 * What a character tokenizer does with a character it did not see when it was built:
 * `'unk'` maps it to the `<unk>` token (which decodes to U+FFFD, so such text does not
 * round-trip), `'error'` throws an `InvalidArgumentError` naming the character and its
 * position, `'skip'` drops it.
 */
export type UnknownCharacterPolicy = 'unk' | 'error' | 'skip';

/**
 * Text to token ids and back. Every tokenizer in this package has three special tokens,
 * PAD, BOS and EOS, with ids inside `[0, vocabSize)`; `encode` never produces them from text
 * (a literal `"<eos>"` in the input is encoded as ordinary characters), only from
 * {@link EncodeOptions}.
 *
 * Implementations: {@link CharTokenizer} (the default for built-in tasks) and
 * {@link ByteBPETokenizer} (GPT-2-style byte-level BPE). Load either from JSON with
 * {@link tokenizerFromJSON}.
 */
export interface Tokenizer {
  /** Which implementation, as in its JSON. */
  readonly type: TokenizerJSON['type'];
  /** Number of token ids, special tokens included; the model's vocabulary size. */
  readonly vocabSize: number;
  /** Id of the padding token; batches right-pad with it and it is never scored. */
  readonly padTokenId: number;
  /** Id of the beginning-of-sequence token. */
  readonly bosTokenId: number;
  /** Id of the end-of-sequence token; generation stops a row when it samples it. */
  readonly eosTokenId: number;
  /** Token ids of `text`. */
  encode(text: string, options?: EncodeOptions): number[];
  /** Text of `ids`; throws `InvalidArgumentError` on an id outside `[0, vocabSize)`. */
  decode(ids: readonly number[], options?: DecodeOptions): string;
  /** A JSON-serialisable description from which {@link tokenizerFromJSON} rebuilds it. */
  toJSON(): TokenizerJSON;
  /**
   * How conversational data is rendered to text (see `withChatTemplate`); saved with the
   * tokenizer. @defaultValue undefined (conversational rows are refused, naming the field)
   */
  readonly chatTemplate?: ChatTemplate;
}
