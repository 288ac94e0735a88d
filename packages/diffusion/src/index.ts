/**
 * `@dpo-ts/diffusion`: the model side of Diffusion-DPO in tfjs. DDPM noise schedules, an MLP
 * and a class-conditional UNet epsilon-predictor, per-example denoising errors (the DPO score),
 * DDPM and DDIM samplers with classifier-free guidance and DDIM step log-probabilities (DDPO),
 * MNIST / Fashion-MNIST data, PNG grids and image rewards.
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
export { MLPDenoiser, DEFAULT_MLP_DENOISER_CONFIG, resolveMLPDenoiserConfig, type MLPDenoiserConfig } from './mlp-denoiser.js';
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
export { subsetDataset, datasetBatch, datasetImage, type ImageDataset, type DatasetSplits } from './data/image-dataset.js';
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
export { toHostImage, rewardImages, type HostImage, type ImageInput, type ImageReward } from './rewards/image-reward.js';
export { jpegSizeKilobytes, jpegCompressibilityReward, jpegIncompressibilityReward, DDPO_JPEG_QUALITY } from './rewards/jpeg-reward.js';
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
