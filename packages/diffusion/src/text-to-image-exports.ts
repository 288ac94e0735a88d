/**
 * The text-to-image part of the public API (captioned emoji data, Pick-a-Pic-style preference
 * JSONL, latent autoencoder, text encoder, text-conditioned denoising), kept in one list so
 * `index.ts` gains a single line.
 */
export {
  EMOJI_VENDORS,
  EMOJI_ARTWORK_LICENSES,
  EMOJIBASE_DATA_PACKAGE,
  optionalPackageDirectory,
  type EmojiVendor,
  type EmojiArtworkLicense,
} from './data/emoji-sources.js';
export { loadEmojiCatalog, type EmojiEntry, type EmojiCatalogOptions } from './data/emoji-catalog.js';
export { readEmojiSpriteSheet, copyEmojiCell, type EmojiSpriteSheet } from './data/emoji-sprite-sheet.js';
export {
  loadEmojiDataset,
  subsetEmojiDataset,
  emojiCaptionWithTags,
  EMOJI_IMAGE_SIZE,
  type EmojiDataset,
  type EmojiDatasetOptions,
} from './data/emoji-dataset.js';
export {
  splitEmojiDataset,
  resolveEmojiSplitOptions,
  fnv1a32,
  fmix32,
  type EmojiSplit,
  type EmojiSplitOptions,
  type EmojiSplitHash,
} from './data/emoji-split.js';
export {
  readTrainedEmojiSplit,
  requireTrainedOnEmojiSplit,
  LEGACY_EMOJI_SPLIT,
} from './data/emoji-split-record.js';
export { mirrorSafeEmoji } from './data/emoji-mirror.js';
export {
  loadExtraEmojiArt,
  iconifyEmojiName,
  iconifySvg,
  downsampleRgbaTo32,
  EXTRA_EMOJI_ART_SETS,
  EXTRA_EMOJI_ART_LICENSES,
  RESVG_WASM_PACKAGE,
  type ExtraEmojiArt,
  type ExtraEmojiArtSet,
  type ExtraEmojiArtLicense,
  type ExtraEmojiArtOptions,
  type IconifyIcon,
  type IconifyAlias,
  type IconifyJson,
} from './data/extra-emoji-art.js';
export {
  LatentAutoencoder,
  DEFAULT_LATENT_AUTOENCODER_CONFIG,
  resolveLatentAutoencoderConfig,
  type LatentAutoencoderConfig,
  type LatentDistribution,
} from './text-to-image/latent-autoencoder.js';
export {
  autoencoderLoss,
  DEFAULT_AUTOENCODER_KL_WEIGHT,
  type AutoencoderLossOptions,
  type AutoencoderLossTerms,
} from './text-to-image/autoencoder-loss.js';
export { highFrequencyShare } from './text-to-image/high-frequency-share.js';
export { computeLatentScalingFactor } from './text-to-image/latent-scaling.js';
export {
  saveLatentAutoencoder,
  loadLatentAutoencoder,
  latentAutoencoderHeader,
  type LatentAutoencoderFiles,
  LATENT_AUTOENCODER_FORMAT,
  LATENT_AUTOENCODER_FORMAT_VERSION,
  type ScaledAutoencoder,
} from './text-to-image/autoencoder-checkpoint.js';
export {
  loadCaptionPreferenceJsonl,
  loadCaptionPreferenceImages,
  writeCaptionPreferenceJsonl,
  pickAPicLabelField,
  type CaptionPreferenceRecord,
  type CaptionPreferenceLabel,
  type CaptionPreferenceImages,
  type CaptionPreferenceInput,
  type WriteCaptionPreferenceOptions,
} from './pairs/caption-preference-jsonl.js';
export {
  CaptionTokenizer,
  CAPTION_PAD_ID,
  CAPTION_UNKNOWN_ID,
  type CaptionTokenizerJSON,
  type CaptionVocabularyOptions,
  type CaptionHypernymOptions,
} from './text-to-image/caption-tokenizer.js';
export { WordNetNouns, wordNetDatabaseDirectory, type WordNetSynset } from './text-to-image/wordnet-nouns.js';
export {
  CaptionEncoder,
  DEFAULT_CAPTION_ENCODER_CONFIG,
  resolveCaptionEncoderConfig,
  type CaptionEncoderConfig,
  type EncodedText,
} from './text-to-image/caption-encoder.js';
export {
  LatentTextDenoiser,
  DEFAULT_LATENT_TEXT_DENOISER_CONFIG,
  resolveLatentTextDenoiserConfig,
  type LatentTextDenoiserConfig,
} from './text-to-image/latent-text-denoiser.js';
export {
  textGuidedNoise,
  ddimSampleFromText,
  type TextDDIMOptions,
  type TextDDIMResult,
} from './text-to-image/text-guidance.js';
export {
  minSnrWeights,
  textToImageLoss,
  type TextToImageBatch,
  type TextToImageLossOptions,
} from './text-to-image/text-to-image-loss.js';
export {
  createTextToImageTask,
  textToImageTaskSpec,
  type TextToImageTaskConfig,
  type TextToImageMicroBatch,
} from './text-to-image/text-to-image-task.js';
export { WeightEMA, emaDecayAt } from './text-to-image/weight-ema.js';
export {
  encodeTextCondition,
  type TextEncoderLike,
  type TextConditionedLike,
} from './text-to-image/text-condition.js';
export {
  saveTextToImageModel,
  loadTextToImageModel,
  textToImageHeader,
  textToImageVariables,
  TEXT_TO_IMAGE_FORMAT,
  TEXT_TO_IMAGE_FORMAT_VERSION,
  type TextToImageModel,
  type SaveTextToImageModelOptions,
} from './text-to-image/text-to-image-checkpoint.js';
export {
  saveTextToImageTrainedModel,
  loadTextToImageTrainedModel,
  TEXT_TO_IMAGE_MODALITY,
  TEXT_TO_IMAGE_AUTOENCODER_FILES,
  type SavedTextToImageModel,
  type SaveTextToImageTrainedModelOptions,
} from './text-to-image/saved-text-to-image-model.js';
export { EMOJI_AUTOENCODER_CHECKPOINT } from './text-to-image/emoji-autoencoder-checkpoint.js';
export {
  encodeCaptionPreferences,
  validateCaptionLatentPreferences,
  fingerprintCaptionLatentPreferences,
  type CaptionLatentPreferences,
} from './dpo/caption-latent-preferences.js';
export {
  buildLatentPreferenceBatch,
  orderedLatentPreferenceBatches,
  type LatentPreferenceBatch,
  type LatentPairDrawOptions,
} from './dpo/latent-preference-batch.js';
export {
  LatentDiffusionPreferenceScorer,
  type LatentDiffusionPreferenceScorerOptions,
  type ConditionEncoder,
  type EmbeddingConditionedDenoiser,
  type TextConditionedDiffusion,
} from './dpo/latent-diffusion-preference-scorer.js';
export { TextToImageDPOModel } from './dpo/text-to-image-dpo-model.js';
export {
  LatentDiffusionDPOTrainer,
  type LatentDiffusionDPOTrainerOptions,
} from './dpo/latent-diffusion-dpo-trainer.js';
export {
  ImageEncoder,
  DEFAULT_IMAGE_ENCODER_CONFIG,
  resolveImageEncoderConfig,
  type ImageEncoderConfig,
} from './feedback/image-encoder.js';
export { clipContrastiveLoss, normalizeRows } from './feedback/contrastive-loss.js';
export { EmojiCLIP, CLIP_INITIAL_LOG_SCALE, type EmojiCLIPConfig } from './feedback/emoji-clip.js';
export { StyleClassifier, type StyleClassifierConfig } from './feedback/style-classifier.js';
export {
  saveEmojiCLIP,
  loadEmojiCLIP,
  saveStyleClassifier,
  loadStyleClassifier,
  EMOJI_CLIP_FORMAT,
  STYLE_CLASSIFIER_FORMAT,
  type TokenizedCLIP,
} from './feedback/feedback-checkpoint.js';
export { retrievalAccuracy, perImageRetrievalHits, type RetrievalResult } from './feedback/retrieval-accuracy.js';
export { clipLabeler, styleLabeler, positiveShare, type ImageLabeler } from './feedback/labelers.js';
export {
  labelPairs,
  DEFAULT_TIE_MARGIN,
  type UnlabelledPair,
  type LabelPairsOptions,
} from './feedback/label-pairs.js';
export {
  createTextToImageSampler,
  textToImageSamplerSpec,
  type TextToImageSamplerConfig,
  type TextToImageSamplerModels,
  type TextToImageSamplingTask,
  type TextToImageSamplingResult,
} from './text-to-image/text-to-image-sampler.js';
export {
  sampleCaptionImages,
  sampleCaptionPairs,
  type CaptionSamplingOptions,
} from './feedback/sample-caption-pairs.js';
export {
  loadTextToImageSnapshot,
  type TextToImageSnapshot,
  type TextToImageSnapshotKind,
  type TextToImageSnapshotOptions,
} from './text-to-image/text-to-image-snapshot.js';
export { frechetDistance, kernelDistance } from './evaluation/feature-distance.js';
export { autoencoderFeatures } from './evaluation/guard-features.js';
export { CAPTION_COVERAGE_GROUPS, captionCoverage, type CaptionCoverage } from './evaluation/caption-coverage.js';
export { oneWordSiblings, type CaptionSiblings } from './evaluation/one-word-siblings.js';
export { nearestTrainingCaptions, type NearestTrainingCaption } from './evaluation/nearest-training-caption.js';
export { characterTrigrams, spellingBackoff, type SpellingBackoffOptions } from './text-to-image/spelling-backoff.js';
export { clipRetrievalHits } from './feedback/clip-retrieval.js';
