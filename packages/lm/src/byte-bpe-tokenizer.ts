import { InvalidArgumentError, requireInteger } from '@dpo-ts/core';
import { BYTE_VOCAB_SIZE, learnBPEMerges, mergePair } from './bpe-training.js';
import { preTokenize } from './pre-tokenize.js';
import type { ByteBPETokenizerJSON, DecodeOptions, EncodeOptions, Tokenizer } from './tokenizer.js';

/** Special tokens of a {@link ByteBPETokenizer}, in id order; their ids follow the merges. */
export const BYTE_BPE_SPECIAL_TOKENS = ['<|pad|>', '<|bos|>', '<|endoftext|>'] as const;

/** Options for {@link ByteBPETokenizer.train}. */
export interface ByteBPETrainingOptions {
  /**
   * Target vocabulary size: 256 bytes + merges + 3 special tokens, so at least 259. Training
   * stops early (giving a smaller vocabulary) when no pair reaches `minFrequency`.
   */
  readonly vocabSize: number;
  /** See {@link LearnBPEMergesOptions.minFrequency}. @defaultValue 2 */
  readonly minFrequency?: number;
}

const PIECE_CACHE_LIMIT = 50_000;

/**
 * A GPT-2-style byte-level BPE tokenizer: text is UTF-8 bytes (ids 0..255), pre-tokenised on
 * whitespace and punctuation ({@link preTokenize}), and merged inside each piece by learned
 * merges in rank order (merge i makes id 256 + i). PAD, BOS and EOS come after the merges.
 *
 * Any well-formed string round-trips: `decode(encode(text)) === text`. (Lone UTF-16
 * surrogates are not well-formed; `TextEncoder` turns them into U+FFFD.) Decoding ids that
 * end inside a multi-byte character yields U+FFFD for the partial character.
 *
 * Encoding a piece repeatedly merges the adjacent pair of lowest rank, all its occurrences
 * left to right, as GPT-2's `encoder.py` does.
 *
 * @see Radford et al. 2019, "Language Models are Unsupervised Multitask Learners", Sec. 2.2.
 * @example
 * const tokenizer = ByteBPETokenizer.train(texts, { vocabSize: 512 });
 * tokenizer.decode(tokenizer.encode('naïve café ☕')); // 'naïve café ☕'
 */
export class ByteBPETokenizer implements Tokenizer {
  readonly type = 'byte-bpe' as const;
  readonly vocabSize: number;
  readonly padTokenId: number;
  readonly bosTokenId: number;
  readonly eosTokenId: number;
  /** Merges in rank order (a copy is returned by `toJSON`). */
  private readonly merges: readonly (readonly [number, number])[];
  private readonly rankByPair = new Map<number, number>();
  private readonly bytesById: readonly Uint8Array[];
  private readonly pieceCache = new Map<string, readonly number[]>();
  private readonly encoder = new TextEncoder();
  // ignoreBOM: keep a leading U+FEFF, so it round-trips like any other character.
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });

  /** A tokenizer with the given merges (merge i joins `[left, right]` into id 256 + i). */
  constructor(merges: readonly (readonly [number, number])[]) {
    const bytesById: Uint8Array[] = Array.from({ length: BYTE_VOCAB_SIZE }, (_, byte) => Uint8Array.of(byte));
    merges.forEach((pair, rank) => {
      const id = BYTE_VOCAB_SIZE + rank;
      const valid =
        Array.isArray(pair) &&
        pair.length === 2 &&
        pair.every((part) => Number.isInteger(part) && part >= 0 && part < id);
      if (!valid) throw new InvalidArgumentError(`merges[${rank}]`, `a pair of token ids below ${id}`, pair);
      const [left, right] = pair;
      const key = left * 2 ** 21 + right;
      if (this.rankByPair.has(key)) throw new InvalidArgumentError(`merges[${rank}]`, 'a pair not merged before', pair);
      this.rankByPair.set(key, rank);
      const leftBytes = bytesById[left]!;
      const joined = new Uint8Array(leftBytes.length + bytesById[right]!.length);
      joined.set(leftBytes);
      joined.set(bytesById[right]!, leftBytes.length);
      bytesById.push(joined);
    });
    this.merges = merges.map(([left, right]) => [left, right] as const);
    this.bytesById = bytesById;
    this.padTokenId = bytesById.length;
    this.bosTokenId = bytesById.length + 1;
    this.eosTokenId = bytesById.length + 2;
    this.vocabSize = bytesById.length + BYTE_BPE_SPECIAL_TOKENS.length;
  }

  /** Learns merges from `corpus` with {@link learnBPEMerges} and returns the tokenizer. */
  static train(corpus: string | Iterable<string>, options: ByteBPETrainingOptions): ByteBPETokenizer {
    const minimum = BYTE_VOCAB_SIZE + BYTE_BPE_SPECIAL_TOKENS.length;
    const vocabSize = requireInteger('vocabSize', options.vocabSize, { min: minimum });
    const merges = learnBPEMerges(corpus, {
      numMerges: vocabSize - minimum,
      ...(options.minFrequency !== undefined && { minFrequency: options.minFrequency }),
    });
    return new ByteBPETokenizer(merges);
  }

  /** Rebuilds a tokenizer from {@link ByteBPETokenizer.toJSON}'s output. */
  static fromJSON(json: ByteBPETokenizerJSON): ByteBPETokenizer {
    if (json?.type !== 'byte-bpe') throw new InvalidArgumentError('json.type', '"byte-bpe"', json?.type);
    if (json.version !== 1) throw new InvalidArgumentError('json.version', '1', json.version);
    if (!Array.isArray(json.merges))
      throw new InvalidArgumentError('json.merges', 'an array of [left, right] pairs', json.merges);
    const specials: unknown = json.specialTokens;
    if (!Array.isArray(specials) || specials.join() !== BYTE_BPE_SPECIAL_TOKENS.join()) {
      throw new InvalidArgumentError('json.specialTokens', JSON.stringify(BYTE_BPE_SPECIAL_TOKENS), specials);
    }
    return new ByteBPETokenizer(json.merges);
  }

  /** Number of learned merges. */
  get numMerges(): number {
    return this.merges.length;
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const ids: number[] = [];
    if (options.addBos) ids.push(this.bosTokenId);
    for (const piece of preTokenize(text)) ids.push(...this.encodePiece(piece));
    if (options.addEos) ids.push(this.eosTokenId);
    return ids;
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const skipSpecialTokens = options.skipSpecialTokens ?? true;
    let text = '';
    let pending: number[] = [];
    const flush = (): void => {
      if (pending.length > 0) text += this.decoder.decode(Uint8Array.from(pending));
      pending = [];
    };
    ids.forEach((id, index) => {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new InvalidArgumentError(`ids[${index}]`, `an integer in [0, ${this.vocabSize})`, id);
      }
      const bytes = this.bytesById[id];
      if (bytes) {
        for (const byte of bytes) pending.push(byte);
      } else if (!skipSpecialTokens) {
        flush();
        text += BYTE_BPE_SPECIAL_TOKENS[id - this.bytesById.length]!;
      }
    });
    flush();
    return text;
  }

  toJSON(): ByteBPETokenizerJSON {
    return {
      type: 'byte-bpe',
      version: 1,
      merges: this.merges.map(([left, right]) => [left, right] as const),
      specialTokens: [...BYTE_BPE_SPECIAL_TOKENS],
    };
  }

  private encodePiece(piece: string): readonly number[] {
    const cached = this.pieceCache.get(piece);
    if (cached) return cached;
    let symbols = Array.from(this.encoder.encode(piece));
    for (;;) {
      let bestRank = Infinity;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const rank = this.rankByPair.get(symbols[i]! * 2 ** 21 + symbols[i + 1]!);
        if (rank !== undefined && rank < bestRank) bestRank = rank;
      }
      if (bestRank === Infinity) break;
      const [left, right] = this.merges[bestRank]!;
      symbols = mergePair(symbols, left, right, BYTE_VOCAB_SIZE + bestRank);
    }
    if (this.pieceCache.size >= PIECE_CACHE_LIMIT) this.pieceCache.clear();
    this.pieceCache.set(piece, symbols);
    return symbols;
  }
}
