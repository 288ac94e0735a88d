/**
 * `@dpo-ts/diffusion`: Diffusion-DPO in tfjs. DDPM noise schedules, an MLP and a
 * class-conditional UNet epsilon-predictor, per-example denoising errors (the DPO score),
 * DDPM and DDIM samplers with classifier-free guidance and DDIM step log-probabilities (DDPO),
 * the Diffusion-DPO trainer (core's `PreferenceTrainer` with a denoising scorer), the SFT
 * trainer (base training, SFT on winners), on-policy preference pairs from a reward, MNIST /
 * Fashion-MNIST data, PNG grids, image rewards, and a committed MNIST base checkpoint.
 *
 * Conventions: images are NHWC float32 in [-1, 1]; timesteps are integers in [0, T); labels
 * are 0..numClasses-1 with `nullClass = numClasses` for the unconditional branch; every function
 * returning tensors leaves them to the caller to dispose.
 * @packageDocumentation
 */
export {
  NoiseSchedule,
  DEFAULT_NOISE_SCHEDULE_CONFIG,
  BETA_SCHEDULE_TYPES,
  SCHEDULE_COEFFICIENTS,
  resolveNoiseScheduleConfig,
  type NoiseScheduleConfig,
  type BetaScheduleType,
  type ScheduleCoefficient,
} from './noise-schedule.js';
export { standardNormal, toLabelTensor, toTimestepTensor, type LabelInput, type TimestepInput } from './inputs.js';
export {
  dropClassLabels,
  countParameters,
  type Denoiser,
  type DenoiserKind,
  type DenoiserConfigBase,
  type ImageShape,
} from './denoiser.js';
export {
  MLPDenoiser,
  DEFAULT_MLP_DENOISER_CONFIG,
  resolveMLPDenoiserConfig,
  type MLPDenoiserConfig,
} from './mlp-denoiser.js';
export { UNet, DEFAULT_UNET_CONFIG, resolveUNetConfig, type UNetConfig } from './unet.js';
export {
  saveDenoiser,
  loadDenoiser,
  createDenoiser,
  cloneDenoiser,
  copyWeights,
  DENOISER_FORMAT,
  DENOISER_FORMAT_VERSION,
  type WeightEntry,
} from './denoiser-checkpoint.js';
export { addNoise, denoisingErrors } from './denoising-errors.js';
export { guidedNoise } from './guidance.js';
export { ddpmSample, type DDPMSamplerOptions, type DDPMVarianceType } from './ddpm-sampler.js';
export {
  ddimTimesteps,
  ddimCoefficients,
  ddimMean,
  gaussianLogProb,
  ddimStepLogProb,
  type DDIMStepOptions,
  type DDIMTimesteps,
  type DDIMCoefficients,
  type DDIMTransition,
} from './ddim-step.js';
export { ddimSample, type DDIMSamplerOptions, type DDIMSampleResult } from './ddim-sampler.js';
export { ddimInvert, type DDIMInversionOptions } from './ddim-inversion.js';
export { groupNorm, type GroupNormParams } from './nn/group-norm.js';
export { upsampleNearest2x } from './nn/upsample.js';
export { timestepEmbedding } from './nn/timestep-embedding.js';
export {
  subsetDataset,
  datasetBatch,
  datasetImage,
  type ImageDataset,
  type DatasetSplits,
} from './data/image-dataset.js';
export { loadMnist, MNIST_CLASS_NAMES, type MnistOptions } from './data/mnist.js';
export {
  loadFashionMnist,
  fashionMnistAvailable,
  parseIdx,
  FASHION_MNIST_DIR,
  FASHION_MNIST_CLASS_NAMES,
  type FashionMnistOptions,
  type IdxArray,
} from './data/fashion-mnist.js';
export {
  encodeImageGrid,
  writeImageGrid,
  decodeImage,
  readImage,
  toByte,
  type HostImages,
  type ImageGridOptions,
} from './image-grid.js';
export {
  toHostImage,
  rewardImages,
  type HostImage,
  type ImageInput,
  type ImageReward,
} from './rewards/image-reward.js';
export {
  jpegSizeKilobytes,
  jpegCompressibilityReward,
  jpegIncompressibilityReward,
  DDPO_JPEG_QUALITY,
} from './rewards/jpeg-reward.js';
export {
  DigitClassifier,
  DEFAULT_DIGIT_CLASSIFIER_CONFIG,
  trainDigitClassifier,
  classifierAccuracy,
  type DigitClassifierConfig,
  type DigitClassifierTrainingOptions,
  type DigitClassifierTrainingResult,
} from './rewards/digit-classifier.js';
export { classifierLogProbReward, classifierLogProbs } from './rewards/classifier-reward.js';

// The committed base model
export { MNIST_MLP_CHECKPOINT } from './base-checkpoint.js';

// Training: shared arguments, data walk and loop
export { mixSeeds } from '@dpo-ts/core/training';
export { stepMicroBatches, epochsCompleted, type StepBatchOptions, type StepMicroBatch } from '@dpo-ts/core/data';
export { drawExample, type ExampleDraw } from './training/example-draws.js';
export type { TrainOptions } from '@dpo-ts/core/training';

// Diffusion-DPO
export {
  validateImagePreferenceDataset,
  subsetImagePreferences,
  fingerprintImagePreferences,
  imageSize,
  type ImagePreferenceDataset,
} from './dpo/image-preference-dataset.js';
export {
  buildDiffusionPreferenceBatch,
  orderedPreferenceBatches,
  type DiffusionPreferenceBatch,
  type PairDrawOptions,
} from './dpo/diffusion-preference-batch.js';
export {
  DiffusionPreferenceScorer,
  type DiffusionPreferenceScorerOptions,
} from './dpo/diffusion-preference-scorer.js';
export { timestepBuckets, type TimestepBuckets } from './dpo/timestep-buckets.js';
export {
  resolveDiffusionDPOConfig,
  DEFAULT_DIFFUSION_DPO_CONFIG,
  type DiffusionDPOConfig,
  type ResolvedDiffusionDPOConfig,
} from './dpo/diffusion-dpo-config.js';
export { DiffusionDPOMetrics, diffusionPairMetrics, type PairErrors } from './dpo/diffusion-dpo-metrics.js';
export {
  diffusionReferenceFingerprint,
  type DiffusionReferenceCacheKey,
} from './dpo/diffusion-reference-cache.js';
export { denoiserArchitecture, NON_SCORING_DENOISER_CONFIG_FIELDS } from './denoiser-architecture.js';
export {
  DiffusionDPOTrainer,
  type DiffusionDPOTrainerOptions,
} from './dpo/diffusion-dpo-trainer.js';

// SFT / base training
export {
  resolveDiffusionSFTConfig,
  DEFAULT_DIFFUSION_SFT_CONFIG,
  type DiffusionSFTConfig,
  type ResolvedDiffusionSFTConfig,
} from './sft/diffusion-sft-config.js';
export { buildDenoisingBatch, type DenoisingBatch, type DenoisingDrawOptions } from './sft/denoising-batch.js';
export { DiffusionSFTTrainer, type DiffusionSFTTrainerOptions } from './sft/diffusion-sft-trainer.js';
export {
  saveDiffusionModel,
  loadDiffusionModel,
  DIFFUSION_MODEL_MODALITY,
  type SavedDiffusionModel,
  type SaveDiffusionModelOptions,
} from './saved-diffusion-model.js';
export { preferredImages } from './sft/preferred-images.js';
// Data-parallel training: the tasks core's GradientWorkerPool builds in each worker
export { createDenoiserSFTTask, denoiserSFTTaskSpec, type DenoiserSFTTaskConfig } from './sft/denoiser-sft-task.js';
export {
  createDenoiserSampler,
  denoiserSamplerSpec,
  sampleDenoiserTasks,
  type DenoiserSamplerConfig,
  type DenoiserSamplingTask,
  type DenoiserSamplingResult,
} from './denoiser-sampler.js';
export {
  createDenoiserPreferenceScorer,
  denoiserPreferenceScorerSpec,
  type DenoiserPreferenceScorerConfig,
} from './dpo/denoiser-preference-scorer.js';

// Preference pairs from a model and a reward
export {
  samplePreferencePairs,
  type SamplePreferencePairsOptions,
  type SampledPreferencePairs,
} from './pairs/sample-preference-pairs.js';
export {
  writeImagePreferenceJsonl,
  loadImagePreferenceJsonl,
  type LoadImagePreferenceJsonlOptions,
  imagePreferenceSchema,
  type WriteImagePreferenceJsonlOptions,
} from './pairs/image-preference-jsonl.js';
export { compareRewards, type CompareRewardsOptions, type RewardComparison } from './pairs/reward-comparison.js';

// Text-to-image (captioned emoji, Pick-a-Pic-style pairs, latent autoencoder, text encoder)
export * from './text-to-image-exports.js';
