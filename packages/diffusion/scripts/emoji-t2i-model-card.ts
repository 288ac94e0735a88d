/**
 * Writes the model card of the emoji text-to-image base (issue #14): `MODEL_CARD.md`,
 * `model-card.json` and `samples-heldout.png` into --out (default: the model directory). The
 * model is a saved text-to-image model (the training script's --out at the end of the run) or a
 * training checkpoint of the run (--model pointing at its --run-dir), read by
 * `loadTextToImageSnapshot`. Measured here, all on the canonical split's held-out emoji (never
 * seen by the base, the labelers or the scorer):
 *
 * - parameters per part; training images, steps, images and caption tokens seen; final loss
 *   and training images/s (from the run's log, --run-log, or the model's training.json);
 * - the autoencoder's reconstruction error (posterior mean, decoded, clipped);
 * - the held-out scorer's (emoji-clip-oracle) caption retrieval: the right caption ranked first
 *   among K distractors, for DDIM samples of every held-out caption and, as the ceiling, for the
 *   real held-out emoji; percentile-bootstrap CI over captions;
 * - KID and FD of the samples against the real held-out emoji in the quality guard's feature
 *   space (the autoencoder's scaled latent means), with real training emoji as the floor;
 * - a grid of held-out captions (two real emoji, then samples) and sampling images/s.
 *
 *   node packages/diffusion/dist/run/scripts/emoji-t2i-model-card.js \
 *     --model packages/diffusion/checkpoints/emoji-t2i --run-log /work/t2i.log
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { EMOJI_SPLIT_OPTION, emojiSplitOptions } from './emoji-split-option.js';
import { bootstrapMeanCI } from '@dpo-ts/core';
import { Rng } from '@dpo-ts/core/training';
import { selectBackend, type BackendRequest } from '@dpo-ts/core/backend';
import { readJsonFile } from '@dpo-ts/core/io';
import {
  autoencoderFeatures,
  CAPTION_COVERAGE_GROUPS,
  CAPTION_PAD_ID,
  captionCoverage,
  clipRetrievalHits,
  EMOJI_ARTWORK_LICENSES,
  EXTRA_EMOJI_ART_LICENSES,
  type ExtraEmojiArtSet,
  frechetDistance,
  kernelDistance,
  loadEmojiCLIP,
  loadEmojiDataset,
  loadLatentAutoencoder,
  loadTextToImageSnapshot,
  NoiseSchedule,
  nearestTrainingCaptions,
  sampleCaptionImages,
  splitEmojiDataset,
  type EmojiDataset,
  requireTrainedOnEmojiSplit,
} from '@dpo-ts/diffusion';
import { EMOJI_T2I_MODEL_OPTIONS } from './emoji-t2i-model-options.js';
import { writeCaptionGrid } from './emoji-caption-grid.js';

const { values } = parseArgs({
  options: {
    ...EMOJI_SPLIT_OPTION,
    ...EMOJI_T2I_MODEL_OPTIONS,
    out: { type: 'string' },
    'run-log': { type: 'string' },
    'samples-per-caption': { type: 'string', default: '1' },
    'sampling-steps': { type: 'string', default: '50' },
    guidance: { type: 'string', default: '3' },
    distractors: { type: 'string', default: '9' },
    'grid-captions': { type: 'string', default: '16' },
    'grid-samples': { type: 'string', default: '6' },
    resamples: { type: 'string', default: '4000' },
    seed: { type: 'string', default: '0' },
    backend: { type: 'string', default: 'wasm' },
    // The quality guard's feature space: this autoencoder's latent means (default: the model's own),
    // so bases on different autoencoders can be compared in one space.
    'guard-autoencoder': { type: 'string' },
  },
});
const splitOptions = emojiSplitOptions(values['split-hash']);
const seed = Number(values.seed);
const distractors = Number(values.distractors);
const samplingSteps = Number(values['sampling-steps']);
const guidanceScale = Number(values.guidance);
const backend = await selectBackend({ backend: values.backend as BackendRequest });
const out = values.out ?? values.model;
const say = (line: string) => console.error(`model card: ${line}`);

for (const [flag, directory] of [
  ['--model', values.model],
  ['--autoencoder', values.autoencoder],
  ['--scorer', values.scorer],
] as const)
  await requireTrainedOnEmojiSplit(directory, splitOptions, flag);
const { train, heldOut } = splitEmojiDataset(await loadEmojiDataset(), splitOptions);
const trainCaptions = train.entries.map((entry) => entry.caption);
const snapshot = await loadTextToImageSnapshot(values.model, { trainCaptions, autoencoder: values.autoencoder });
const { model, autoencoder } = snapshot;
const scorer = await loadEmojiCLIP(values.scorer);
const schedule = new NoiseSchedule();
say(`${snapshot.kind} at step ${snapshot.step} from ${snapshot.source}; backend ${backend.name}`);

// The T distinct held-out captions in dataset order; real image i shows caption realCaption[i].
const captions = [...new Set(heldOut.entries.map((entry) => entry.caption))];
const captionIndex = new Map(captions.map((caption, i) => [caption, i]));
const realCaption = heldOut.entries.map((entry) => captionIndex.get(entry.caption)!);

/** Per caption, the mean of the values of its images; captions without images are left out. */
function perCaption(values: readonly number[], captionOf: (k: number) => number): number[] {
  const sums = new Float64Array(captions.length);
  const counts = new Float64Array(captions.length);
  values.forEach((value, k) => {
    sums[captionOf(k)]! += value;
    counts[captionOf(k)]! += 1;
  });
  return [...sums].flatMap((sum, i) => (counts[i]! > 0 ? [sum / counts[i]!] : []));
}

// Samples: every held-out caption, samples-per-caption times (image k shows caption k % T).
const repeats = Number(values['samples-per-caption']);
const sampleCaptions = Array.from({ length: repeats }, () => captions).flat();
// CPU seconds of this process (every thread) beside wall seconds: on a shared machine the wall
// rate says more about the neighbours than about the model.
const cpuSecondsSince = (start: NodeJS.CpuUsage) => {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1e6;
};
let started = performance.now();
let cpuStarted = process.cpuUsage();
const samples = await sampleCaptionImages(model, autoencoder, schedule, sampleCaptions, {
  seed,
  numSteps: samplingSteps,
  guidanceScale,
  batchSize: 64,
});
const sampleSeconds = (performance.now() - started) / 1000;
const sampleCpuSeconds = cpuSecondsSince(cpuStarted);
say(`${sampleCaptions.length} samples in ${sampleSeconds.toFixed(0)} s`);

// Retrieval by the held-out scorer: samples, and the real held-out emoji as the ceiling.
const candidates = distractors + 1;
const sampleHits = await clipRetrievalHits(scorer, samples, captions, candidates, seed);
const realHits = await clipRetrievalHits(scorer, heldOut.images, captions, candidates, seed, realCaption);
const ciOptions = { resamples: Number(values.resamples), seed };
const retrieval = {
  distractors,
  chance: 1 / candidates,
  samples: bootstrapMeanCI(
    perCaption(sampleHits, (k) => k % captions.length),
    ciOptions,
  ),
  real: bootstrapMeanCI(
    perCaption(realHits, (k) => realCaption[k]!),
    ciOptions,
  ),
  imagesSampled: sampleHits.length,
  imagesReal: realHits.length,
  // Per vocabulary coverage of the caption by the model's tokenizer (an unknown caption is all UNK;
  // 'wordnet', a version-2 tokenizer only: unseen words placed by their WordNet features).
  byCoverage: CAPTION_COVERAGE_GROUPS.flatMap((group) => {
    const inGroup = captionCoverage(model.tokenizer, captions, model.encoder.config.maxLength).map((g) => g === group);
    if (group === 'wordnet' && model.tokenizer.featuresPerWord === 1) return [];
    const hits = perCaption(sampleHits, (k) => k % captions.length).filter((_, i) => inGroup[i]);
    // The scorer's own ceiling on the group: its retrieval of the real emoji of these captions.
    const real = perCaption(realHits, (k) => realCaption[k]!).filter((_, i) => inGroup[i]);
    return [
      {
        group,
        captions: hits.length,
        samples: hits.length > 0 ? bootstrapMeanCI(hits, ciOptions) : null,
        real: real.length > 0 ? bootstrapMeanCI(real, ciOptions) : null,
      },
    ];
  }),
};

// The quality guard: KID and FD in an autoencoder's latent means; real training emoji as the floor.
const guardAutoencoder =
  values['guard-autoencoder'] !== undefined ? await loadLatentAutoencoder(values['guard-autoencoder']) : autoencoder;
const realFeatures = await autoencoderFeatures(guardAutoencoder, heldOut.images, heldOut.count);
const sampleFeatures = await autoencoderFeatures(guardAutoencoder, samples, sampleCaptions.length);
const floorImages = drawImages(train, heldOut.count, new Rng(seed + 7));
const floorFeatures = await autoencoderFeatures(guardAutoencoder, floorImages, heldOut.count);
if (guardAutoencoder !== autoencoder) guardAutoencoder.autoencoder.dispose();
const dim = realFeatures.length / heldOut.count;
const guard = {
  featureSpace: `the scaled latent means (${dim} features) of ${
    values['guard-autoencoder'] !== undefined
      ? `the autoencoder ${path.relative(process.cwd(), values['guard-autoencoder'])}`
      : "the model's autoencoder"
  }`,
  samples: {
    kidTimes1000: 1000 * kernelDistance(realFeatures, sampleFeatures, dim),
    fd: frechetDistance(realFeatures, sampleFeatures, dim),
  },
  realTrainingFloor: {
    kidTimes1000: 1000 * kernelDistance(realFeatures, floorFeatures, dim),
    fd: frechetDistance(realFeatures, floorFeatures, dim),
  },
};

const reconstruction = await reconstructionError(heldOut);

// The grid: evenly spaced held-out captions; columns Twemoji, Noto, then grid-samples samples.
const gridCaptions = Array.from(
  { length: Math.min(Number(values['grid-captions']), captions.length) },
  (_, i) => captions[Math.floor((i * captions.length) / Number(values['grid-captions']))]!,
);
// What training offers each grid row: its nearest training caption by shared words.
const gridNearest = nearestTrainingCaptions(gridCaptions, [...new Set(train.entries.map((entry) => entry.caption))]);
const gridSamples = Number(values['grid-samples']);
started = performance.now();
cpuStarted = process.cpuUsage();
const gridImages = await sampleCaptionImages(
  model,
  autoencoder,
  schedule,
  gridCaptions.flatMap((caption) => new Array<string>(gridSamples).fill(caption)),
  { seed: seed + 1, numSteps: samplingSteps, guidanceScale, batchSize: 64 },
);
const gridSeconds = (performance.now() - started) / 1000;
const gridCpuSeconds = cpuSecondsSince(cpuStarted);
await mkdir(out, { recursive: true });
await writeCaptionGrid(path.join(out, 'samples-heldout.png'), gridCaptions, [heldOut], gridImages, gridSamples);

// Training: steps and batch from the checkpoint or training.json; loss and images/s from the log;
// EMA from training.json or the saved model's metadata (an interim --out has no training.json).
const summary = await readOptionalJson(path.join(values.model, 'training.json'));
const savedMetadata = ((await readOptionalJson(path.join(values.model, 'config.json'))).metadata ?? {}) as Record<
  string,
  unknown
>;
const checkpointMetadata = snapshot.kind === 'run-checkpoint' ? await readCheckpointMetadata(snapshot.source) : {};
const batchSize = Number(summary.batchSize ?? checkpointMetadata.batchSize ?? 64);
const log =
  values['run-log'] === undefined
    ? undefined
    : parseRunLog(await readFile(values['run-log'], 'utf8'), snapshot.step ?? Number.POSITIVE_INFINITY);
// Words per caption: word slots in use (a version-2 slot holds a word's id and its WordNet features).
const featuresPerWord = model.tokenizer.featuresPerWord;
const tokensPerCaption =
  model.tokenizer
    .encodeBatch(trainCaptions, model.encoder.config.maxLength)
    .filter((_, k) => k % featuresPerWord === 0)
    .reduce((count, id) => count + (id === CAPTION_PAD_ID ? 0 : 1), 0) / trainCaptions.length;
const steps = snapshot.step ?? Number(summary.steps ?? Number.NaN);
const runs = (Array.isArray(summary.runs) ? summary.runs : []) as TrainingRun[];
// Extra art (train-emoji-text-to-image's --extra-art) of the last run: its images count too.
const lastExtraArt = (summary.extraArt as ExtraArtRecord | undefined) ?? null;
const card = {
  split: splitOptions,
  model: { kind: snapshot.kind, source: path.relative(process.cwd(), snapshot.source), step: snapshot.step },
  denoiser: {
    side: model.denoiser.config.latentShape[0],
    channels: model.denoiser.config.channels,
    blocks: model.denoiser.config.blocks,
    levels: [...model.denoiser.config.levels],
    contextLength: model.denoiser.config.contextLength,
  },
  tokenizer: {
    version: model.tokenizer.toJSON().version,
    words: model.tokenizer.words.length,
    vocabSize: model.tokenizer.vocabSize,
    featuresPerWord,
  },
  parameters: {
    captionEncoder: model.encoder.parameterCount(),
    denoiser: model.denoiser.parameterCount(),
    autoencoder: autoencoder.autoencoder.parameterCount(),
  },
  training: {
    images: train.count,
    extraArt: lastExtraArt,
    // Every extra art set any run behind the weights drew from, in first-use order.
    extraArtSets: [...new Set(runs.flatMap((run) => Object.keys(run.extraArt?.matched ?? {})))] as ExtraEmojiArtSet[],
    steps,
    batchSize,
    imagesSeen: steps * batchSize,
    epochs: (steps * batchSize) / (train.count + (lastExtraArt?.images ?? 0)),
    captionTokensPerImage: tokensPerCaption,
    captionTokensSeen: Math.round(steps * batchSize * tokensPerCaption),
    finalLoss: log?.finalLoss ?? summary.finalLoss ?? null,
    finalLossOver:
      log === undefined ? 'training.json' : `the last ${log.lossCount} logged steps (to step ${log.lastStep})`,
    imagesPerSecond: log?.imagesPerSecond ?? summary.trainImagesPerSecondThisRun ?? null,
    emaDecay: [summary.emaDecay, savedMetadata.emaDecay].find((value) => typeof value === 'number') ?? 0,
    // The last run's loss weighting (the logged loss is the weighted one) and every run behind the weights.
    minSnrGamma: typeof summary.minSnrGamma === 'number' ? summary.minSnrGamma : null,
    runs,
  },
  reconstruction,
  retrieval,
  guard,
  sampling: {
    sampler: `DDIM ${samplingSteps} steps, eta 0, guidance ${guidanceScale}`,
    images: sampleCaptions.length + gridImages.length / 3072,
    imagesPerSecond: (sampleCaptions.length + gridImages.length / 3072) / (sampleSeconds + gridSeconds),
    imagesPerCpuSecond: (sampleCaptions.length + gridImages.length / 3072) / (sampleCpuSeconds + gridCpuSeconds),
    backend: backend.name,
  },
  heldOut: { captions: captions.length, images: heldOut.count },
  grid: {
    file: 'samples-heldout.png',
    captions: gridCaptions,
    nearestTraining: gridNearest.map(({ nearest, shared, words, jaccard }) => ({ nearest, shared, words, jaccard })),
    samplesPerCaption: gridSamples,
    seed: seed + 1,
  },
  command: `node packages/diffusion/dist/run/scripts/emoji-t2i-model-card.js ${process.argv.slice(2).join(' ')}`,
};
await writeFile(path.join(out, 'model-card.json'), `${JSON.stringify(card, null, 2)}\n`);
await writeFile(path.join(out, 'MODEL_CARD.md'), modelCardMarkdown(card));
console.log(JSON.stringify(card, null, 2));
for (const network of [model.encoder, model.denoiser, autoencoder.autoencoder, scorer.clip]) network.dispose();

/** `count` distinct images of `dataset` drawn with `rng` (partial Fisher-Yates), flattened. */
function drawImages(dataset: EmojiDataset, count: number, rng: Rng): Float32Array {
  const order = Array.from({ length: dataset.count }, (_, i) => i);
  const images = new Float32Array(count * 3072);
  for (let k = 0; k < count; k++) {
    const pick = k + rng.int(order.length - k);
    [order[k], order[pick]] = [order[pick]!, order[k]!];
    images.set(dataset.images.subarray(order[k]! * 3072, (order[k]! + 1) * 3072), k * 3072);
  }
  return images;
}

/** L1, MSE and PSNR ([0, 1] pixels) of x against clip(D(E_mean(x)), -1, 1) over every held-out image. */
async function reconstructionError(dataset: EmojiDataset) {
  let l1 = 0;
  let squared = 0;
  for (let start = 0; start < dataset.count; start += 64) {
    const size = Math.min(64, dataset.count - start);
    const sums = tf.tidy(() => {
      const x = tf.tensor4d(dataset.images.subarray(start * 3072, (start + size) * 3072), [size, 32, 32, 3]);
      const y = tf.clipByValue(autoencoder.autoencoder.decode(autoencoder.autoencoder.encodeMean(x)), -1, 1);
      const difference = tf.sub(x, y);
      return tf.stack([tf.sum(tf.abs(difference)), tf.sum(tf.square(difference))]);
    });
    const [a, b] = await sums.data();
    sums.dispose();
    l1 += a!;
    squared += b!;
  }
  const n = dataset.count * 3072;
  const mse = squared / n;
  // Pixels in [-1, 1]: the [0, 1] MSE is mse / 4.
  return { images: dataset.count, l1: l1 / n, mse, psnrDb: 10 * Math.log10(1 / (mse / 4)) };
}

async function readOptionalJson(file: string): Promise<Record<string, unknown>> {
  return readJsonFile(file).catch(() => ({}));
}

async function readCheckpointMetadata(stepDirectory: string): Promise<Record<string, unknown>> {
  const manifest = await readOptionalJson(path.join(stepDirectory, 'manifest.json'));
  return (manifest.metadata ?? {}) as Record<string, unknown>;
}

/**
 * From the training loop's progress lines up to the model's step (the log may run ahead of the
 * checkpoint read): the mean loss of the last 20 logged steps and the last images/s.
 */
function parseRunLog(text: string, upToStep: number) {
  const lines = [
    ...text.matchAll(/step (\d+)\/\d+[^\n]*?\| loss ([-\d.eE+]+)[^\n]*?images_per_second ([\d.]+)/g),
  ].filter((match) => Number(match[1]) <= upToStep);
  if (lines.length === 0) return undefined;
  const last = lines.slice(-20);
  return {
    finalLoss: last.reduce((sum, match) => sum + Number(match[2]), 0) / last.length,
    lossCount: last.length,
    lastStep: Number(lines.at(-1)![1]),
    imagesPerSecond: Number(lines.at(-1)![3]),
  };
}

/** The tokenizer in words: its vocabulary and, for version 2, its WordNet features. */
function tokenizerDescription(t: typeof card.tokenizer): string {
  const words = `${t.words.toLocaleString('en')} words`;
  if (t.version === 1) return `version 1: ${words}`;
  return `version 2: ${words} and WordNet hypernym features, ${t.vocabSize.toLocaleString('en')} ids, up to ${t.featuresPerWord} per word`;
}

/** The denoiser's shape in words: flat (blocks x channels) or a U-Net (widths per level). */
function denoiserDescription(d: typeof card.denoiser): string {
  const attention = d.contextLength > 0 ? `, cross-attention to the caption's word vectors after every block` : '';
  if (d.levels.length === 1)
    return `flat: ${d.blocks} residual blocks of ${d.channels} channels at ${d.side}x${d.side}${attention}`;
  const widths = d.levels.map((m, l) => `${d.channels * m} at ${d.side / 2 ** l}x${d.side / 2 ** l}`).join(', ');
  return `a U-Net: ${widths}, ${d.blocks} block${d.blocks > 1 ? 's' : ''} per level down and 1 up, skip connections${attention}`;
}

/** An entry of training.json's `runs` (written by train-emoji-text-to-image.ts). */
interface TrainingRun {
  readonly toStep?: number;
  readonly stepsThisRun?: number;
  readonly learningRate?: number;
  readonly minSnrGamma?: number | null;
  readonly conditionNoise?: number | null;
  readonly flip?: { readonly mirrorSafeImages: number } | null;
  readonly extraArt?: ExtraArtRecord | null;
  readonly finalLoss?: number;
  readonly trainImagesPerSecond?: number;
  readonly wallTimeSeconds?: number;
}

/** training.json's `extraArt`: the extra art sets' images of the training emoji. */
interface ExtraArtRecord {
  readonly images: number;
  readonly matched: Readonly<Record<string, number>>;
}

/** `fluent-emoji-flat 1371, emojione 920`: how many drawings each extra art set gave. */
function extraArtCounts(record: ExtraArtRecord): string {
  return Object.entries(record.matched)
    .map(([set, n]) => `${set} ${n}`)
    .join(', ');
}

/** A run's augmentation: extra art, flips of the mirror-safe images, conditioning noise; '-' for none. */
function regularisation(run: TrainingRun): string {
  const parts = [
    ...(run.extraArt ? [`+${run.extraArt.images} extra-art images (${extraArtCounts(run.extraArt)})`] : []),
    ...(run.flip ? [`flips (${run.flip.mirrorSafeImages} mirror-safe images)`] : []),
    ...(run.conditionNoise ? [`caption noise ${run.conditionNoise}`] : []),
  ];
  return parts.length === 0 ? '-' : parts.join(', ');
}

/** The runs behind the weights as a Markdown table (empty when training.json lists none). */
function runsTable(runs: readonly TrainingRun[]): string {
  if (runs.length === 0) return '';
  const num = (value: number | undefined, digits: number) => (value === undefined ? '-' : value.toFixed(digits));
  const rows = runs.map(
    (run, k) =>
      `| ${k + 1} | ${run.stepsThisRun ?? '-'} (to ${run.toStep ?? '-'}) | ${run.learningRate ?? '-'} | ${run.minSnrGamma == null ? 'L_simple' : `min-SNR-${run.minSnrGamma}`} | ${regularisation(run)} | ${num(run.finalLoss, 4)} | ${num(run.trainImagesPerSecond, 1)} | ${num(run.wallTimeSeconds, 0)} |`,
  );
  return `Runs behind these weights, oldest first (each after the first starts from the previous one's
saved weights with a fresh optimiser, cosine schedule and EMA: \`--init\`):

| run | steps | peak learning rate | loss | augmentation | last step's loss | images/s | wall s |
|---|---|---|---|---|---|---|---|
${rows.join('\n')}

`;
}

function modelCardMarkdown(c: typeof card): string {
  const ci = (interval: { estimate: number; low: number; high: number }) =>
    `${interval.estimate.toFixed(3)} [${interval.low.toFixed(3)}, ${interval.high.toFixed(3)}]`;
  const total = c.parameters.captionEncoder + c.parameters.denoiser + c.parameters.autoencoder;
  const fmt = (value: unknown, digits: number) => (typeof value === 'number' ? value.toFixed(digits) : 'not given');
  return `# Model card: emoji text-to-image base (${c.model.kind === 'run-checkpoint' ? `training checkpoint, step ${c.model.step}` : `step ${c.model.step}`})

Written by \`scripts/emoji-t2i-model-card.ts\` (\`model-card.json\` holds every number). Rerun:
\`${c.command}\`

Stable Diffusion's shape at emoji scale: a caption tokenizer (${tokenizerDescription(c.tokenizer)})
and transformer encoder (${c.denoiser.contextLength > 0 ? `pooled output and ${c.denoiser.contextLength} word vectors` : 'pooled output'}), a ${c.denoiser.contextLength > 0 ? 'FiLM- and cross-attention-conditioned' : 'FiLM-conditioned'} latent denoiser (${denoiserDescription(c.denoiser)}; eps prediction, classifier-free guidance), a
latent autoencoder (32x32x3 to 8x8x4, scaling factor ${autoencoder.scalingFactor.toFixed(3)}), DDIM.
Trained on the canonical split of Twemoji + Noto Emoji 16.0.0 (32 px on white, no skin tones;
\`splitEmojiDataset(..., { heldOutFraction: 0.1, seed: 0, hash: '${c.split.hash}' })\`${c.split.hash === 'fnv1a' ? ', which holds out runs of neighbouring code points together' : ', a uniform draw of emoji'})${c.training.extraArtSets.length > 0 ? `, with more drawings of the same training emoji from ${c.training.extraArtSets.join(', ')} (\`loadExtraEmojiArt\`; no held-out emoji drawn from them)` : ''}. Every measure below is on the
${c.heldOut.captions} held-out emoji (${c.heldOut.images} images, both vendors), which neither the
base, nor the labelers, nor the scorer saw.

## Parameters

| part | float32 weights |
|---|---|
| caption encoder | ${c.parameters.captionEncoder.toLocaleString('en')} |
| latent denoiser | ${c.parameters.denoiser.toLocaleString('en')} |
| autoencoder (trained first, frozen) | ${c.parameters.autoencoder.toLocaleString('en')} |
| total | ${total.toLocaleString('en')} |

## Training

| | |
|---|---|
| training images | ${c.training.images.toLocaleString('en')} (${c.training.images / 2} emoji x 2 vendors)${
    c.training.extraArt === null
      ? ''
      : `, and in the last run ${c.training.extraArt.images.toLocaleString('en')} drawings of the same emoji from other art sets (${extraArtCounts(c.training.extraArt)})`
  } |
| optimiser steps x batch | ${c.training.steps.toLocaleString('en')} x ${c.training.batchSize} |
| images seen | ${c.training.imagesSeen.toLocaleString('en')} (${c.training.epochs.toFixed(0)} epochs) |
| caption words seen | ${c.training.captionTokensSeen.toLocaleString('en')} (${c.training.captionTokensPerImage.toFixed(2)} per plain caption${c.tokenizer.featuresPerWord > 1 ? `, each a slot of up to ${c.tokenizer.featuresPerWord} feature ids` : ''}) |
| final training loss (${c.training.minSnrGamma === null ? 'L_simple' : `min-SNR-${c.training.minSnrGamma} weighted`} on latents) | ${fmt(c.training.finalLoss, 4)} (mean over ${c.training.finalLossOver}) |
| training images/s | ${fmt(c.training.imagesPerSecond, 1)} (wasm, 1 thread, on the shared 2-core machine) |
| weights | ${c.training.emaDecay > 0 ? `exponential moving average, decay ${c.training.emaDecay}` : 'the last iterate (no EMA)'} |

${runsTable(c.training.runs)}## Autoencoder reconstruction (held out)

Posterior mean, decoded, clipped to [-1, 1]; ${c.reconstruction.images} held-out images; pixels in [-1, 1]:
L1 ${c.reconstruction.l1.toFixed(4)}, MSE ${c.reconstruction.mse.toFixed(4)}, PSNR ${c.reconstruction.psnrDb.toFixed(1)} dB ([0, 1] pixels).

## Alignment: the held-out scorer's caption retrieval

The held-out scorer (\`emoji-clip-oracle\`, trained on the other half of the training emoji; it
never labels) ranks each image's caption among its own and ${c.retrieval.distractors} distractors
(other held-out captions, drawn per image); a hit when the right caption is first. Chance is
1/${c.retrieval.distractors + 1} = ${c.retrieval.chance.toFixed(3)}. 95% percentile bootstrap CI
over captions (${c.retrieval.samples.units} captions).

| images | retrieval accuracy [95% CI] |
|---|---|
| samples of the held-out captions (${c.retrieval.imagesSampled}; ${c.sampling.sampler}) | ${ci(c.retrieval.samples)} |
| real held-out emoji (${c.retrieval.imagesReal}): the ceiling | ${ci(c.retrieval.real)} |
| chance | ${c.retrieval.chance.toFixed(3)} |

By how much of the caption the model's word tokenizer knows (an unknown caption is all
unknown tokens: the encoder sees the same input for every one of them, so no model with this
tokenizer can draw it${c.tokenizer.featuresPerWord > 1 ? "; _wordnet_: every word has a feature but some word is not in the training vocabulary, WordNet's hypernyms alone place it" : ''}):

| held-out captions | captions | samples' retrieval accuracy [95% CI] | real emoji's (the scorer's ceiling) |
|---|---|---|---|
${c.retrieval.byCoverage.map((g) => `| ${g.group} | ${g.captions} | ${g.samples === null ? 'none' : ci(g.samples)} | ${g.real === null ? 'none' : ci(g.real)} |`).join('\n')}

## Quality guard: distance to real held-out emoji

In ${c.guard.featureSpace}: an encoder trained on real emoji only, by reconstruction, that no
labeler or scorer shares. KID x1000 (cubic kernel, unbiased) and FD (FID's formula, biased
upwards at a few hundred images against ${dim} features). The floor is ${c.heldOut.images} real
training emoji against the same held-out set.

| against the real held-out emoji | KID x1000 | FD |
|---|---|---|
| samples | ${c.guard.samples.kidTimes1000.toFixed(2)} | ${c.guard.samples.fd.toFixed(1)} |
| real training emoji (floor) | ${c.guard.realTrainingFloor.kidTimes1000.toFixed(2)} | ${c.guard.realTrainingFloor.fd.toFixed(1)} |

## Samples of held-out captions

![held-out captions](${c.grid.file})

One row per held-out caption: the real Twemoji, the real Noto emoji (white when the vendor has
none), then ${c.grid.samplesPerCaption} samples (${c.sampling.sampler}, seed ${c.grid.seed}).

The last column is what training offers the row: the training caption that contains the most
of its words, the shortest of those (\`nearestTrainingCaptions\`). A row whose every word is in
one training caption can be drawn by composing that caption's drawing; a row that shares only a
generic word with training (or none) asks for an object no training emoji shows.

| row | caption | nearest training caption (words shared / caption's words) |
|---|---|---|
${c.grid.captions
  .map((caption, i) => {
    const n = c.grid.nearestTraining[i]!;
    return `| ${i + 1} | ${caption} | ${n.nearest === null ? 'none shares a word' : `${n.nearest} (${n.shared}/${n.words})`} |`;
  })
  .join('\n')}

Sampling: ${c.sampling.images} images at ${c.sampling.imagesPerSecond.toFixed(2)} images/s of wall time and ${c.sampling.imagesPerCpuSecond.toFixed(2)} per CPU second (${c.sampling.sampler}, backend ${c.sampling.backend}, batch 64, shared 2-core machine: the CPU rate is what a quiet core gives).

## Licences

The weights and images derive from ${[
    ...Object.values(EMOJI_ARTWORK_LICENSES),
    ...c.training.extraArtSets.map((set) => EXTRA_EMOJI_ART_LICENSES[set]),
  ]
    .map((licence) => `${licence.artwork} (${licence.license})`)
    .join(', ')} artwork: keep the attributions of @dpo-ts/diffusion's NOTICE file
(\`EMOJI_ARTWORK_LICENSES\`${c.training.extraArtSets.length > 0 ? ', `EXTRA_EMOJI_ART_LICENSES`' : ''}) when you redistribute them. Code: MIT.
`;
}
