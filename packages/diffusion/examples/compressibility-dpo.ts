/**
 * Diffusion-DPO on a real image diffusion model: align the MNIST MLP denoiser to JPEG
 * compressibility (DDPO's reward, Black et al. 2023) with preference pairs labelled by it.
 *
 *   npm run build -w @dpo-ts/diffusion && npm run example:compressibility -w @dpo-ts/diffusion -- --quick
 *
 * Writes to --out: pairs.jsonl + images/ (the preference data), pairs.png (chosen over
 * rejected), comparison.png (reference and aligned samples from the same noise, alternating
 * rows), results.json and README.md (numbers), checkpoint/ (the aligned denoiser).
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { METRIC_NAMES, type Metrics } from '@dpo-ts/core';
import { selectBackend } from '@dpo-ts/core/backend';
import {
  DiffusionDPOTrainer,
  DiffusionSFTTrainer,
  MLPDenoiser,
  NoiseSchedule,
  cloneDenoiser,
  compareRewards,
  jpegCompressibilityReward,
  loadDenoiser,
  loadMnist,
  preferredImages,
  samplePreferencePairs,
  saveDenoiser,
  subsetImagePreferences,
  trainDigitClassifier,
  writeImageGrid,
  writeImagePreferenceJsonl,
  type Denoiser,
  type ImagePreferenceDataset,
} from '@dpo-ts/diffusion';
import { USAGE, parseExampleOptions, type ExampleOptions } from './compressibility-options.js';
import { PhaseTimer } from './phase-timer.js';
import { renderReport, type ExampleResults, type ModelComparison } from './compressibility-report.js';

const parsed = parseExampleOptions(process.argv.slice(2));
if (parsed === undefined) {
  console.log(USAGE);
  process.exit(0);
}
const options: ExampleOptions = parsed;
const timer = new PhaseTimer();
const backend = await selectBackend({ backend: options.backend });
await mkdir(options.out, { recursive: true });
const schedule = new NoiseSchedule();
const { train: mnist, heldOut } = await loadMnist({ seed: options.seed });

const base: Denoiser = await timer.phase('base model', async () => {
  if (existsSync(path.join(options.base, 'config.json'))) {
    console.error(`loading ${options.base}`);
    return loadDenoiser(options.base);
  }
  console.error(`no checkpoint at ${options.base}: training the MNIST MLP for ${options.baseSteps} steps`);
  const model = new MLPDenoiser({ seed: options.seed });
  const trainer = await DiffusionSFTTrainer.create({
    model,
    schedule,
    trainDataset: mnist,
    config: {
      totalSteps: options.baseSteps,
      lrSchedule: 'cosine',
      warmupSteps: Math.min(100, Math.floor(options.baseSteps / 10)),
      seed: options.seed,
      loggingSteps: 100,
    },
  });
  await trainer.train();
  trainer.dispose();
  return model;
});

const classifier = await timer.phase('digit classifier (to check samples stay digits)', async () => {
  const result = trainDigitClassifier(heldOut, { maxSeconds: options.preset === 'smoke' ? 5 : 20, seed: options.seed });
  console.error(`classifier validation accuracy ${result.validationAccuracy.toFixed(3)} (${result.steps} steps)`);
  return result;
});
const digitAccuracy = (images: Float32Array, labels: readonly number[]): number => {
  const predicted = tf.tidy(() => classifier.classifier.predict(tf.tensor4d(images, [labels.length, 28, 28, 1])));
  return predicted.reduce((n, label, i) => n + (label === labels[i] ? 1 : 0), 0) / labels.length;
};

const sampled = await timer.phase('preference pairs', async () => {
  const conditions = Array.from({ length: options.pairs }, (_, i) => i % 10);
  const result = await samplePreferencePairs(base, schedule, {
    conditions,
    reward: jpegCompressibilityReward,
    seed: options.seed,
    numSteps: options.samplingSteps,
    samplesPerCondition: options.samplesPerCondition,
    batchSize: 100,
    onProgress: timer.progress('sampled pairs', 'pairs'),
  });
  await writeImagePreferenceJsonl(path.join(options.out, 'pairs.jsonl'), result.pairs, {
    numClasses: 10,
    extra: (i) => ({ score_chosen: result.chosenRewards[i]!, score_rejected: result.rejectedRewards[i]! }),
  });
  const show = subsetImagePreferences(
    result.pairs,
    Array.from({ length: Math.min(10, result.pairs.count) }, (_, i) => i),
  );
  const grid = new Float32Array(2 * show.chosen.length);
  grid.set(show.chosen, 0);
  grid.set(show.rejected, show.chosen.length);
  await writeImageGrid(
    path.join(options.out, 'pairs.png'),
    { data: grid, shape: [2 * show.count, 28, 28, 1] },
    { columns: show.count, scale: 2 },
  );
  return result;
});
const samplingSeconds = timer.phases['preference pairs']!;
const evalCount = Math.max(1, Math.round(sampled.pairs.count * options.evalFraction));
const order = Array.from({ length: sampled.pairs.count }, (_, i) => i);
const trainDataset = subsetImagePreferences(sampled.pairs, order.slice(evalCount));
const evalDataset = subsetImagePreferences(sampled.pairs, order.slice(0, evalCount));
console.error(
  `${sampled.pairs.count} pairs (${sampled.skipped} ties dropped): ${trainDataset.count} train, ${evalDataset.count} eval; mean reward of base samples ${sampled.meanReward.toFixed(4)}`,
);

const policy = cloneDenoiser(base);
const dpo = await timer.phase('Diffusion-DPO', async () => {
  const trainer = await DiffusionDPOTrainer.create({
    model: policy,
    referenceModel: base,
    schedule,
    trainDataset,
    evalDataset,
    config: {
      totalSteps: options.dpoSteps,
      perDeviceTrainBatchSize: options.batchSize,
      beta: options.beta,
      learningRate: options.learningRate,
      warmupSteps: Math.min(50, Math.floor(options.dpoSteps / 10)),
      lrSchedule: 'constant_with_warmup',
      evalSteps: Math.max(1, Math.floor(options.dpoSteps / 4)),
      loggingSteps: Math.max(1, Math.floor(options.dpoSteps / 20)),
      seed: options.seed,
    },
  });
  const evalBefore = await trainer.evaluate();
  const result = await trainer.train({
    checkpoint: { dir: path.join(options.out, 'dpo-checkpoints'), resume: 'auto' },
  });
  const evalAfter = await trainer.evaluate();
  trainer.dispose();
  return { evalBefore, evalAfter, result };
});
await saveDenoiser(policy, path.join(options.out, 'checkpoint'));
const lastStep = dpo.result.history.at(-1)?.metrics ?? {};
const pairsPerSecond = dpo.result.history.length > 0 ? lastStep[METRIC_NAMES.trainSamplesPerSecond]! : Number.NaN;

const conditions = Array.from({ length: options.compareSamples }, (_, i) => i % 10);
/** Samples `model` and the reference from the same noise and compares rewards and digit accuracy. */
async function compareWithReference(
  model: Denoiser,
): Promise<ModelComparison & { images: Float32Array; referenceImages: Float32Array }> {
  const result = await compareRewards(base, model, schedule, {
    conditions,
    reward: jpegCompressibilityReward,
    seed: options.seed + 1000,
    numSteps: options.samplingSteps,
    batchSize: 100,
  });
  return {
    meanReward: result.candidateMean,
    meanJpegKB: -result.candidateMean,
    referenceMeanReward: result.baselineMean,
    winRate: result.winRate,
    digitAccuracy: digitAccuracy(result.candidateImages, conditions),
    referenceDigitAccuracy: digitAccuracy(result.baselineImages, conditions),
    images: result.candidateImages,
    referenceImages: result.baselineImages,
  };
}

const comparison = await timer.phase('reference vs aligned samples', async () => {
  const result = await compareWithReference(policy);
  const rows = Math.min(4, Math.floor(options.compareSamples / 10));
  const grid = new Float32Array(2 * rows * 10 * 784);
  for (let r = 0; r < rows; r++) {
    grid.set(result.referenceImages.subarray(r * 7840, (r + 1) * 7840), 2 * r * 7840);
    grid.set(result.images.subarray(r * 7840, (r + 1) * 7840), (2 * r + 1) * 7840);
  }
  await writeImageGrid(
    path.join(options.out, 'comparison.png'),
    { data: grid, shape: [2 * rows * 10, 28, 28, 1] },
    { columns: 10, scale: 2 },
  );
  return result;
});

/** SFT with DPO's optimiser budget on one side of the training pairs. */
async function sftBaseline(side: 'chosen' | 'rejected'): Promise<ModelComparison> {
  const model = cloneDenoiser(base);
  const pairs: ImagePreferenceDataset =
    side === 'chosen' ? trainDataset : { ...trainDataset, chosen: trainDataset.rejected };
  const trainer = await DiffusionSFTTrainer.create({
    model,
    schedule,
    trainDataset: preferredImages(pairs, 10),
    config: {
      totalSteps: options.dpoSteps,
      perDeviceTrainBatchSize: options.batchSize,
      learningRate: options.learningRate,
      lrSchedule: 'constant_with_warmup',
      warmupSteps: Math.min(50, Math.floor(options.dpoSteps / 10)),
      seed: options.seed,
      loggingSteps: Math.max(1, Math.floor(options.dpoSteps / 5)),
    },
  });
  await trainer.train();
  trainer.dispose();
  const { images: _images, referenceImages: _reference, ...result } = await compareWithReference(model);
  model.dispose();
  return result;
}
const baselines = options.baselines
  ? await timer.phase('baselines: SFT on winners, SFT on losers', async () => ({
      sftWinners: await sftBaseline('chosen'),
      sftLosers: await sftBaseline('rejected'),
    }))
  : undefined;

const strip = (c: ModelComparison) => ({
  meanReward: c.meanReward,
  meanJpegKB: c.meanJpegKB,
  winRate: c.winRate,
  digitAccuracy: c.digitAccuracy,
});
const pick = (metrics: Metrics): Metrics =>
  Object.fromEntries(
    Object.entries(metrics).filter(([k]) => k.startsWith('rewards/') || k.startsWith('mse/') || k === 'loss'),
  );
const results: ExampleResults = {
  options,
  backend: { name: backend.name, overrides: backend.overrides },
  model: { parameters: base.parameterCount() },
  pairs: {
    count: sampled.pairs.count,
    skipped: sampled.skipped,
    train: trainDataset.count,
    eval: evalDataset.count,
    baseMeanReward: sampled.meanReward,
    samplingImagesPerSecond: (options.samplesPerCondition * options.pairs) / samplingSeconds,
    samplingSteps: options.samplingSteps,
  },
  dpo: {
    steps: dpo.result.completedSteps,
    evalBefore: pick(dpo.evalBefore),
    evalAfter: pick(dpo.evalAfter),
    pairsPerSecond,
    imagesPerSecond: 2 * pairsPerSecond,
    wallTimeSeconds: dpo.result.wallTimeSeconds,
  },
  comparison: {
    samples: options.compareSamples,
    reference: {
      meanReward: comparison.referenceMeanReward,
      meanJpegKB: -comparison.referenceMeanReward,
      digitAccuracy: comparison.referenceDigitAccuracy,
    },
    diffusionDPO: {
      meanReward: comparison.meanReward,
      meanJpegKB: comparison.meanJpegKB,
      winRate: comparison.winRate,
      digitAccuracy: comparison.digitAccuracy,
    },
    ...(baselines !== undefined
      ? { sftWinners: strip(baselines.sftWinners), sftLosers: strip(baselines.sftLosers) }
      : {}),
  },
  classifierValidationAccuracy: classifier.validationAccuracy,
  phases: timer.phases,
  totalSeconds: timer.elapsed(),
};
await writeFile(path.join(options.out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
await writeFile(path.join(options.out, 'README.md'), renderReport(results));
console.log(renderReport(results));
classifier.classifier.dispose();
policy.dispose();
base.dispose();
