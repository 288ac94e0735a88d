import { InvalidArgumentError, requireBoolean, requireInteger, requireNumber, requireOneOf } from '@dpo-ts/core';

/**
 * How token (and explicit position) embeddings are looked up:
 * - `'one-hot'`: `oneHot(ids, V) x table`, a `[N, V] x [V, d]` matmul. Its gradient is an
 *   ordinary matmul, so it trains on every backend with no extra kernel. Its `[N, V]` one-hot
 *   matrix grows with the vocabulary, so it suits small ones.
 * - `'gather'`: `tf.gather(table, ids)`. Its gradient needs `UnsortedSegmentSum`, which wasm
 *   lacks unless core's gather-gradient override is registered (core registers it when it
 *   selects the backend).
 *
 * Measured on wasm for the reference model (V 96, d 128, 16 x 64 tokens), the two differ by
 * about 10 ms in a ~1.3 s training step, below run-to-run noise (package README).
 */
export type EmbeddingLookup = 'one-hot' | 'gather';

/**
 * Hyper-parameters of a GPT-2-style decoder ({@link GPT}). Names follow nanoGPT / HF GPT-2
 * where they exist (`nLayer` = `n_layer`, `nHead` = `n_head`, `dModel` = `n_embd`,
 * `contextLength` = `n_positions` / `block_size`).
 */
export interface GPTConfig {
  /** Number of token ids, special tokens included (the tokenizer's `vocabSize`). */
  readonly vocabSize: number;
  /** Longest sequence the model accepts; the size of the position-embedding table. @defaultValue 64 */
  readonly contextLength: number;
  /** Width of the residual stream. Must be divisible by `nHead`. @defaultValue 128 */
  readonly dModel: number;
  /** Number of transformer blocks. @defaultValue 4 */
  readonly nLayer: number;
  /** Attention heads per block; head size is `dModel / nHead`. @defaultValue 4 */
  readonly nHead: number;
  /**
   * Dropout rate on the embeddings, the attention probabilities, and each residual branch,
   * active only when a forward pass is called with `training: true`. GPT-2 used 0.1;
   * nanoGPT's default, and ours, is 0 (small models on small data rarely gain from it, and
   * DPO's policy and reference should then agree exactly at step 0).
   * @defaultValue 0
   */
  readonly dropout: number;
  /** Share the token-embedding matrix with the output projection, as GPT-2 does. @defaultValue true */
  readonly tieWeights: boolean;
  /** Epsilon of every layer norm (GPT-2: 1e-5). @defaultValue 1e-5 */
  readonly layerNormEpsilon: number;
  /**
   * Standard deviation of the normal initialisation of every matrix; residual output
   * projections use `initStd / sqrt(2 * nLayer)` (GPT-2). Biases 0, layer-norm gains 1.
   * @defaultValue 0.02
   */
  readonly initStd: number;
  /**
   * See {@link EmbeddingLookup}.
   * @defaultValue 'one-hot' when `vocabSize <= ONE_HOT_MAX_VOCAB_SIZE` (1024), else 'gather'
   */
  readonly embeddingLookup: EmbeddingLookup;
  /** Seed of the weight initialisation and of the model's default dropout stream. @defaultValue 0 */
  readonly seed: number;
}

/**
 * Defaults: the reference configuration of the wasm notes (~0.8M parameters with a
 * 96-token vocabulary). `vocabSize` has no default: it comes from the tokenizer.
 */
export const DEFAULT_GPT_CONFIG: Readonly<Omit<GPTConfig, 'vocabSize' | 'embeddingLookup'>> = Object.freeze({
  contextLength: 64,
  dModel: 128,
  nLayer: 4,
  nHead: 4,
  dropout: 0,
  tieWeights: true,
  layerNormEpsilon: 1e-5,
  initStd: 0.02,
  seed: 0,
});

/**
 * Largest vocabulary for which the default {@link EmbeddingLookup} is `'one-hot'` (its
 * `[B*T, V]` float32 one-hot matrix is then at most 4 MB for 1,024 tokens per batch).
 */
export const ONE_HOT_MAX_VOCAB_SIZE = 1024;

/** A partial configuration: everything but `vocabSize` may be omitted. */
export type GPTConfigInput = Partial<GPTConfig> & Pick<GPTConfig, 'vocabSize'>;

/**
 * Merges `config` over {@link DEFAULT_GPT_CONFIG} and validates every field once, with errors
 * naming the field: `config.dModel must be divisible by nHead = 3: got 128`.
 * @returns a frozen, complete configuration.
 */
export function resolveGPTConfig(config: GPTConfigInput): GPTConfig {
  if (typeof config !== 'object' || config === null) throw new InvalidArgumentError('config', 'an object', config);
  // Fields given as undefined take their default, like omitted ones.
  const given = Object.fromEntries(Object.entries(config).filter(([, value]) => value !== undefined));
  const merged = { ...DEFAULT_GPT_CONFIG, embeddingLookup: undefined, ...given } as Partial<GPTConfig>;
  const vocabSize = requireInteger('config.vocabSize', merged.vocabSize, { min: 2 });
  const resolved: GPTConfig = {
    vocabSize,
    contextLength: requireInteger('config.contextLength', merged.contextLength, { min: 1 }),
    dModel: requireInteger('config.dModel', merged.dModel, { min: 1 }),
    nLayer: requireInteger('config.nLayer', merged.nLayer, { min: 1 }),
    nHead: requireInteger('config.nHead', merged.nHead, { min: 1 }),
    dropout: requireNumber('config.dropout', merged.dropout, { min: 0, max: 1, exclusiveMax: true }),
    tieWeights: requireBoolean('config.tieWeights', merged.tieWeights),
    layerNormEpsilon: requireNumber('config.layerNormEpsilon', merged.layerNormEpsilon, { min: 0, exclusiveMin: true }),
    initStd: requireNumber('config.initStd', merged.initStd, { min: 0 }),
    embeddingLookup: requireOneOf(
      'config.embeddingLookup',
      merged.embeddingLookup ?? (vocabSize <= ONE_HOT_MAX_VOCAB_SIZE ? 'one-hot' : 'gather'),
      ['one-hot', 'gather'] as const,
    ),
    seed: requireInteger('config.seed', merged.seed, { min: 0, max: 2 ** 32 - 1 }),
  };
  if (resolved.dModel % resolved.nHead !== 0) {
    throw new InvalidArgumentError('config.dModel', `divisible by nHead = ${resolved.nHead}`, resolved.dModel);
  }
  const known = new Set(Object.keys(resolved));
  for (const key of Object.keys(config)) {
    if (!known.has(key))
      throw new InvalidArgumentError(
        `config.${key}`,
        `absent (known fields: ${[...known].join(', ')})`,
        (config as Record<string, unknown>)[key],
      );
  }
  return Object.freeze(resolved);
}
