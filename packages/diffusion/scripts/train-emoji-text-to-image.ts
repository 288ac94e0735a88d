/**
 * Trains the text-to-image base: a caption encoder and a FiLM latent denoiser, jointly, on the
 * emoji training split encoded once by a trained latent autoencoder (see
 * train-emoji-autoencoder.ts), with classifier-free-guidance dropout. Reproducible and resumable
 * (checkpoints in --run-dir, outside git; rerun the same command to continue). At the end it
 * saves the model (`saveTextToImageModel`) to --out with a grid of DDIM samples (6 rows of
 * training captions, then 6 of held-out captions; guidance --guidance) and `training.json`.
 * With --ema-decay d > 0 the saved model holds the exponential moving average of the weights
 * (the last iterate goes to `<out>-raw`); checkpoints keep both (`ema.*`). With --save-every N
 * it also saves the model (the averages) to --out every N steps, with `metadata.step`, so the
 * model card can read a run in progress (`--model <out>`; the run checkpoints of a run with
 * tags, another width or EMA are not readable by `loadTextToImageSnapshot`'s checkpoint path).
 *
 *   node packages/diffusion/dist/run/scripts/train-emoji-text-to-image.js \
 *     --autoencoder packages/diffusion/checkpoints/emoji-autoencoder --steps 20000 \
 *     --run-dir runs/emoji-t2i --out runs/emoji-t2i-out
 *
 * The second base's configuration (docs/text-to-image-base.md) adds
 * `--channels 96 --ema-decay 0.999 --caption-tags 5 --tag-prob 0.5 --save-every 1000`; the
 * third adds `--text-features wordnet`: a version-2 caption tokenizer whose words also carry
 * their WordNet hypernym synsets (`--wordnet-senses`, `--features-per-word`), so held-out
 * captions of unseen words ("octopus") read as what they share with seen ones ("squid").
 *
 * --min-snr-gamma 5 weights each example's noise error by min(SNR_t, 5) / SNR_t (Hang et al. 2023),
 * which puts the loss on the noisy timesteps that decide an image's layout; the logged loss is then
 * the weighted one (lower than L_simple, not comparable with unweighted runs).
 *
 * Regularisation against the memorisation a long run shows (docs/text-to-image-base.md): --flip
 * mirrors each mirror-safe training emoji (`mirrorSafeEmoji`: not flags, symbols, clocks, sided
 * captions or emoji with a mirrored twin) with probability 1/2, from latents of the mirrored
 * images encoded once; --condition-noise s adds Gaussian noise at s times the batch's spread to
 * every caption's conditioning row (conditioning augmentation, textToImageLoss's `conditionNoise`).
 *
 * --cross-attention conditions the denoiser as Stable Diffusion is: a cross-attention layer after
 * every block attends to the caption encoder's --caption-words word vectors (FiLM from the pooled
 * embedding stays), so a caption's words can act on different parts of the image.
 *
 * --extra-art fluent-emoji-flat,emojione,noto-v1 adds those sets' drawings of the training emoji
 * (`loadExtraEmojiArt`: ~3,300 images, about 2 more per emoji), more images per concept with the
 * same captions; held-out emoji are never drawn from them.
 *
 * --init <saved model> starts from that model's weights (the committed base, say) instead of fresh
 * ones: its tokenizer must be this run's, its networks this run's architecture; the optimiser,
 * the learning-rate schedule (warm-up included) and the EMA start afresh from those weights, and
 * the saved step counts from the init model's step. This is how a run is carried across machines
 * through git without its 4x larger run checkpoint (weights, EMA copy, AdamW moments).
 *
 * Each step's batch is split into --micro-batches parts (default: --workers) whose draws
 * (timesteps, noise, caption dropout) come from one seed each (`createTextToImageTask`); with
 * --workers N > 1 the parts' gradients are computed on N worker threads (core's
 * `GradientWorkerPool`) and summed in order, so the weights do not depend on N, only on the
 * micro-batch count. On 2 cores, 2 workers run a step of 64 in about 1/1.5 of one thread's time.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { EMOJI_SPLIT_OPTION, emojiSplitOptions } from './emoji-split-option.js';
import {
  AdamWOptimizer,
  Rng,
  createLRSchedule,
  microBatchStep,
  restoreWeights,
  runTrainingLoop,
} from '@dpo-ts/core/training';
import { InvalidArgumentError } from '@dpo-ts/core';
import { loadNamedWeights, readJsonFile } from '@dpo-ts/core/io';
import { withGradientEngine } from '@dpo-ts/core/parallel';
import { selectBackend, type BackendRequest } from '@dpo-ts/core/backend';
import {
  CaptionEncoder,
  CaptionTokenizer,
  LatentTextDenoiser,
  NoiseSchedule,
  ddimSampleFromText,
  loadEmojiDataset,
  loadLatentAutoencoder,
  saveTextToImageModel,
  emojiCaptionWithTags,
  splitEmojiDataset,
  subsetEmojiDataset,
  createTextToImageTask,
  textToImageTaskSpec,
  textToImageVariables,
  type TextToImageMicroBatch,
  writeImageGrid,
  WeightEMA,
  WordNetNouns,
  mirrorSafeEmoji,
  type EmojiDataset,
  encodeTextCondition,
  loadExtraEmojiArt,
  EXTRA_EMOJI_ART_SETS,
  type ExtraEmojiArtSet,
  requireTrainedOnEmojiSplit,
} from '@dpo-ts/diffusion';

const { values } = parseArgs({
  options: {
    ...EMOJI_SPLIT_OPTION,
    autoencoder: { type: 'string', default: 'packages/diffusion/checkpoints/emoji-autoencoder' },
    steps: { type: 'string', default: '20000' },
    'batch-size': { type: 'string', default: '64' },
    lr: { type: 'string', default: '5e-4' },
    seed: { type: 'string', default: '0' },
    guidance: { type: 'string', default: '3' },
    'skin-tones': { type: 'boolean', default: false },
    'run-dir': { type: 'string', default: 'runs/emoji-t2i' },
    out: { type: 'string', default: 'runs/emoji-t2i-out' },
    'checkpoint-every': { type: 'string', default: '250' },
    backend: { type: 'string', default: 'wasm' },
    // Architecture and averaging (defaults: the first base's, no EMA).
    channels: { type: 'string', default: '64' },
    blocks: { type: 'string', default: '4' },
    // Channel multipliers per resolution level: '1' is the flat network of the first bases,
    // '1,2,4' a U-Net at 8x8, 4x4 and 2x2 (--blocks is then per level on the way down).
    levels: { type: 'string', default: '1' },
    // Cross-attention from every denoiser block to the caption's word vectors (--caption-words
    // of them), besides FiLM from the pooled embedding; --attention-heads per layer.
    'cross-attention': { type: 'boolean', default: false },
    'attention-heads': { type: 'string', default: '4' },
    'ema-decay': { type: 'string', default: '0' },
    // A memorisation check: train on the first N training emoji only (both vendors); 0 = all.
    'train-emoji': { type: 'string', default: '0' },
    // Also save the model to --out every N steps (0: only at the end).
    'save-every': { type: 'string', default: '0' },
    // Caption augmentation: with probability --tag-prob an example's caption carries up to
    // --caption-tags emojibase tags ("red apple (fruit, food)"); the vocabulary then covers the tags.
    'caption-tags': { type: 'string', default: '0' },
    'tag-prob': { type: 'string', default: '0' },
    // Caption features: 'words' (a word tokenizer, as the first bases) or 'wordnet' (words plus
    // the synsets of each word's first --wordnet-senses noun senses and their hypernyms).
    'text-features': { type: 'string', default: 'words' },
    'wordnet-senses': { type: 'string', default: '3' },
    'features-per-word': { type: 'string', default: '24' },
    // Words per caption the encoder reads.
    'caption-words': { type: 'string', default: '16' },
    // Progress line every N steps.
    'log-every': { type: 'string', default: '50' },
    // Data parallelism: worker threads, and the parts each step's batch is split into (0: --workers).
    workers: { type: 'string', default: '1' },
    'micro-batches': { type: 'string', default: '0' },
    // Min-SNR-gamma loss weighting (Hang et al. 2023; diffusers' --snr_gamma, 5 there); 0: L_simple.
    'min-snr-gamma': { type: 'string', default: '0' },
    // Regularisation: horizontal flips of the mirror-safe training emoji (mirrorSafeEmoji), each
    // drawn with probability 1/2; conditioning augmentation, noise at s times the batch's
    // per-dimension spread of the pooled caption embeddings (textToImageLoss's conditionNoise).
    flip: { type: 'boolean', default: false },
    'condition-noise': { type: 'string', default: '0' },
    // Start from a saved model's weights (fresh optimiser and schedule); see the file comment.
    init: { type: 'string' },
    // More images of the training emoji from other openly licensed art sets, comma-separated
    // (loadExtraEmojiArt: fluent-emoji-flat, emojione, noto-v1); '' for none.
    'extra-art': { type: 'string', default: '' },
  },
});
const splitOptions = emojiSplitOptions(values['split-hash']);
const steps = Number(values.steps);
const batchSize = Number(values['batch-size']);
const seed = Number(values.seed);
const workers = Number(values.workers);
const microBatchCount = Number(values['micro-batches']) || workers;
if (!Number.isInteger(workers) || workers < 1)
  throw new InvalidArgumentError('--workers', 'an integer >= 1', values.workers);
if (!Number.isInteger(microBatchCount) || microBatchCount < 1 || microBatchCount > batchSize)
  throw new InvalidArgumentError(
    '--micro-batches',
    `an integer in [1, ${batchSize}] (--batch-size)`,
    values['micro-batches'],
  );
const minSnrGamma = Number(values['min-snr-gamma']);
if (!Number.isFinite(minSnrGamma) || minSnrGamma < 0)
  throw new InvalidArgumentError('--min-snr-gamma', 'a number >= 0 (0: unweighted L_simple)', values['min-snr-gamma']);
const conditionNoise = Number(values['condition-noise']);
if (!Number.isFinite(conditionNoise) || conditionNoise < 0)
  throw new InvalidArgumentError('--condition-noise', 'a number >= 0 (0: none)', values['condition-noise']);
const lossOptions = {
  ...(minSnrGamma > 0 ? { minSnrGamma } : {}),
  ...(conditionNoise > 0 ? { conditionNoise } : {}),
};
const backend = await selectBackend({ backend: values.backend as BackendRequest });
const started = performance.now();

// An autoencoder or an --init model trained on another split has seen held-out emoji.
await requireTrainedOnEmojiSplit(values.autoencoder, splitOptions, '--autoencoder');
if (values.init !== undefined) await requireTrainedOnEmojiSplit(values.init, splitOptions, '--init');
const { autoencoder, scalingFactor } = await loadLatentAutoencoder(values.autoencoder);
const split = splitEmojiDataset(await loadEmojiDataset({ skinTones: values['skin-tones'] }), splitOptions);
const { heldOut } = split;
const canonicalTrain = firstEmoji(split.train, Number(values['train-emoji']));
// With --extra-art the training images are the canonical ones followed by the extra sets'
// drawings of the same training emoji (held-out emoji are never passed in); captions, tags and
// the tokenizer stay the canonical training set's, so --init from a model without them works.
const extraSets = values['extra-art'] === '' ? [] : values['extra-art'].split(',');
for (const [i, set] of extraSets.entries()) {
  if (!EXTRA_EMOJI_ART_SETS.includes(set as ExtraEmojiArtSet))
    throw new InvalidArgumentError(`--extra-art[${i}]`, `one of ${EXTRA_EMOJI_ART_SETS.join(', ')}`, set);
}
const extraArt =
  extraSets.length === 0
    ? undefined
    : await loadExtraEmojiArt(canonicalTrain.entries, { sets: extraSets as ExtraEmojiArtSet[] });
const train: EmojiDataset =
  extraArt === undefined
    ? canonicalTrain
    : {
        images: concatFloat32(canonicalTrain.images, extraArt.images),
        entries: [...canonicalTrain.entries, ...extraArt.entries],
        count: canonicalTrain.count + extraArt.count,
        imageShape: canonicalTrain.imageShape,
      };
if (extraArt !== undefined)
  console.error(
    `text-to-image: ${extraArt.count} extra training images (${Object.entries(extraArt.matched)
      .map(([set, n]) => `${set} ${n}`)
      .join(', ')}; unrenderable ${Object.values(extraArt.unrenderable).reduce((a, b) => a + b, 0)})`,
  );
// Scaled latents of every training image, computed once: [count, 8, 8, 4]; with --flip also of
// every image mirrored left to right (drawn only for the mirror-safe emoji).
const latentSize = autoencoder.latentShape.reduce((a, b) => a * b, 1);
async function encodeTraining(mirrored: boolean): Promise<Float32Array> {
  const encodedAll = new Float32Array(train.count * latentSize);
  for (let start = 0; start < train.count; start += 64) {
    const size = Math.min(64, train.count - start);
    const encoded = tf.tidy(() => {
      const images = tf.tensor4d(train.images.subarray(start * 3072, (start + size) * 3072), [size, 32, 32, 3]);
      return tf.mul(autoencoder.encodeMean(mirrored ? tf.reverse(images, 2) : images), scalingFactor);
    });
    encodedAll.set(await encoded.data(), start * latentSize);
    encoded.dispose();
  }
  return encodedAll;
}
const latents = await encodeTraining(false);
const flipLatents = values.flip ? await encodeTraining(true) : undefined;
const mirrorSafe = mirrorSafeEmoji(train.entries);
const captionTags = Number(values['caption-tags']);
const tagProb = captionTags > 0 ? Number(values['tag-prob']) : 0;
const taggedCaptions = train.entries.map((entry) => emojiCaptionWithTags(entry, captionTags));
if (values['text-features'] !== 'words' && values['text-features'] !== 'wordnet')
  throw new InvalidArgumentError('--text-features', "'words' or 'wordnet'", values['text-features']);
const tokenizer = CaptionTokenizer.fromCaptions(
  tagProb > 0
    ? canonicalTrain.entries.map((entry) => emojiCaptionWithTags(entry, captionTags))
    : canonicalTrain.entries.map((entry) => entry.caption),
  values['text-features'] === 'wordnet'
    ? {
        hypernyms: {
          wordnet: await WordNetNouns.loadShared(),
          senses: Number(values['wordnet-senses']),
          featuresPerWord: Number(values['features-per-word']),
        },
      }
    : {},
);
const encoder = new CaptionEncoder({
  vocabSize: tokenizer.vocabSize,
  maxLength: Number(values['caption-words']) * tokenizer.featuresPerWord,
  featuresPerToken: tokenizer.featuresPerWord,
  seed,
});
const denoiser = new LatentTextDenoiser({
  latentShape: autoencoder.latentShape,
  textDim: encoder.config.dim,
  channels: Number(values.channels),
  blocks: Number(values.blocks),
  levels: values.levels.split(',').map(Number),
  contextLength: values['cross-attention'] ? encoder.config.maxLength / encoder.config.featuresPerToken : 0,
  attentionHeads: Number(values['attention-heads']),
  seed: seed + 1,
});
const schedule = new NoiseSchedule();
const variables = textToImageVariables({ encoder, denoiser });
let initStep = 0;
/** The runs that trained the init model (its training.json's `runs`, or that file as one run). */
let earlierRuns: unknown[] = [];
if (values.init !== undefined) {
  // Its config.json's tokenizer must be this run's; its weights go straight into the variables
  // (restoreWeights names any weight whose name or shape this architecture does not have).
  const header = await readJsonFile(path.join(values.init, 'config.json'));
  if (JSON.stringify(header.tokenizer) !== JSON.stringify(tokenizer.toJSON())) {
    throw new InvalidArgumentError(
      '--init',
      "a saved model whose caption tokenizer is this run's (the same captions, --caption-tags and --text-features)",
      values.init,
    );
  }
  restoreWeights(variables, (await loadNamedWeights(values.init)).weights, { source: values.init });
  initStep = Number((header.metadata as { step?: unknown } | undefined)?.step ?? 0);
  const initSummary = await readJsonFile(path.join(values.init, 'training.json')).catch(() => undefined);
  if (initSummary !== undefined)
    earlierRuns = Array.isArray(initSummary.runs) ? initSummary.runs : [runRecord(initSummary)];
  console.error(`text-to-image: weights from ${values.init} (step ${initStep}); optimiser and schedule start afresh`);
}
const optimizer = new AdamWOptimizer(variables, { weightDecay: 0 });
// EMA of every trained weight (encoder and denoiser); the saved model holds the averages.
const emaDecay = Number(values['ema-decay']);
const saveEvery = Number(values['save-every']);
const ema = emaDecay > 0 ? new WeightEMA(variables, emaDecay) : undefined;
const checkpointVariables = new Map(variables);
for (const [name, shadow] of ema?.namedVariables() ?? []) checkpointVariables.set(`ema.${name}`, shadow);
const lrSchedule = createLRSchedule({
  learningRate: Number(values.lr),
  totalSteps: steps,
  type: 'cosine',
  warmupSteps: Math.min(500, Math.floor(steps / 10)),
});
const tokenIds = tokenizer.encodeBatch(
  train.entries.map((entry) => entry.caption),
  encoder.config.maxLength,
);
const taggedTokenIds = tokenizer.encodeBatch(taggedCaptions, encoder.config.maxLength);
let dataRng = new Rng(seed * 2 + 11);
let noiseRng = new Rng(seed * 2 + 12);
let imagesSeen = 0;
let stepSeconds = 0;
console.error(
  `text-to-image: caption encoder ${encoder.parameterCount()} + denoiser ${denoiser.parameterCount()} weights; vocabulary ${tokenizer.vocabSize} (${tokenizer.words.length} words, ${tokenizer.featuresPerWord} features per word); ${train.count} training images; latents ${autoencoder.latentShape.join('x')} x ${scalingFactor.toFixed(4)}; backend ${backend.name}`,
);

const taskConfig = {
  encoder: encoder.config,
  denoiser: denoiser.config,
  schedule: schedule.config,
  loss: lossOptions,
};
const task = createTextToImageTask(taskConfig, { encoder, denoiser, schedule });
const maxLength = encoder.config.maxLength;
/** One step's batch as --micro-batches parts; every draw comes from the checkpointed RNGs. */
function stepMicroBatches(): TextToImageMicroBatch[] {
  const indices = Array.from({ length: batchSize }, () => dataRng.int(train.count));
  const batchLatents = new Float32Array(batchSize * latentSize);
  const batchIds = new Int32Array(batchSize * maxLength);
  indices.forEach((index, i) => {
    // The tag draw only when tags are on, so a run without them draws as the first base did;
    // the flip draw after it, only with --flip and for a mirror-safe emoji.
    const ids = tagProb > 0 && dataRng.uniform() < tagProb ? taggedTokenIds : tokenIds;
    const source = flipLatents !== undefined && mirrorSafe[index] && dataRng.uniform() < 0.5 ? flipLatents : latents;
    batchLatents.set(source.subarray(index * latentSize, (index + 1) * latentSize), i * latentSize);
    batchIds.set(ids.subarray(index * maxLength, (index + 1) * maxLength), i * maxLength);
  });
  return Array.from({ length: microBatchCount }, (_, k) => {
    const from = Math.floor((k * batchSize) / microBatchCount);
    const to = Math.floor(((k + 1) * batchSize) / microBatchCount);
    return {
      latents: batchLatents.slice(from * latentSize, to * latentSize),
      tokenIds: batchIds.slice(from * maxLength, to * maxLength),
      numExamples: to - from,
      seed: noiseRng.nextUint32(),
    };
  });
}

const result = await withGradientEngine(
  {
    task,
    spec: textToImageTaskSpec(taskConfig),
    workers,
    microBatchesPerStep: microBatchCount,
  },
  (engine) =>
    runTrainingLoop({
      totalSteps: steps,
      step: async (stepIndex) => {
        const t0 = performance.now();
        const learningRate = lrSchedule(stepIndex);
        const { microBatches, gradNorm } = await microBatchStep({
          optimizer,
          variables,
          lossAndMetrics: task.lossAndMetrics,
          ...(engine !== undefined ? { engine } : {}),
          microBatches: stepMicroBatches(),
          step: { totalExamples: batchSize },
          reduction: 'sum',
          learningRate,
          maxGradNorm: 1,
          stepIndex,
        });
        ema?.update();
        imagesSeen += batchSize;
        stepSeconds += (performance.now() - t0) / 1000;
        if (saveEvery > 0 && (stepIndex + 1) % saveEvery === 0 && stepIndex + 1 < steps) {
          // An interim model in --out (the averages when EMA is on), readable while the run goes on.
          ema?.swap();
          try {
            await saveTextToImageModel(
              values.out,
              { tokenizer, encoder, denoiser },
              {
                autoencoder: values.autoencoder,
                scalingFactor,
                emaDecay,
                step: initStep + stepIndex + 1,
                split: splitOptions,
              },
            );
          } finally {
            ema?.swap();
          }
        }
        return {
          loss: microBatches.reduce((sum, micro) => sum + micro.loss, 0),
          grad_norm: gradNorm,
          learning_rate: learningRate,
          images_per_second: imagesSeen / stepSeconds,
        };
      },
      checkpoint: {
        dir: values['run-dir'],
        every: Number(values['checkpoint-every']),
        keepLast: 2,
        save: async () => ({
          weights: checkpointVariables,
          optimizer: await optimizer.state(),
          rng: { data: dataRng.state(), noise: noiseRng.state() },
          metadata: { seed, batchSize, emaUpdates: ema?.updateCount ?? 0, split: splitOptions },
        }),
        restore: (checkpoint) => {
          restoreWeights(checkpointVariables, checkpoint.weights, { source: checkpoint.path });
          const metadata = checkpoint.metadata as { emaUpdates?: number } | null;
          if (ema) ema.updateCount = metadata?.emaUpdates ?? 0;
          if (checkpoint.optimizer) optimizer.loadState(checkpoint.optimizer);
          dataRng = Rng.fromState(checkpoint.rng.data!);
          noiseRng = Rng.fromState(checkpoint.rng.noise!);
        },
      },
      resume: 'auto',
      progress: { everySteps: Number(values['log-every']), metrics: ['loss', 'grad_norm', 'images_per_second'] },
    }),
);

if (ema) {
  // The raw last iterate beside the averaged model, for comparison; the model itself is the EMA.
  await saveTextToImageModel(
    `${values.out}-raw`,
    { tokenizer, encoder, denoiser },
    { autoencoder: values.autoencoder, scalingFactor, split: splitOptions },
  );
  ema.copyToModel();
}
await saveTextToImageModel(
  values.out,
  { tokenizer, encoder, denoiser },
  { autoencoder: values.autoencoder, scalingFactor, emaDecay, step: initStep + steps, split: splitOptions },
);
// Samples: 6 training then 6 held-out emoji (one per row, evenly spaced), 8 seeds each.
const spaced = (dataset: EmojiDataset): string[] =>
  Array.from({ length: 6 }, (_, i) => dataset.entries[Math.floor((i * dataset.count) / 12)]!.caption);
const trainSampleCaptions = spaced(canonicalTrain);
const heldOutSampleCaptions = spaced(heldOut);
const captions = [...trainSampleCaptions, ...heldOutSampleCaptions];
const sampleStart = performance.now();
const grid = tf.tidy(() => {
  const repeated = captions.flatMap((caption) => new Array<string>(8).fill(caption));
  const text = encodeTextCondition(
    encoder,
    denoiser,
    tokenizer.encodeBatch(repeated, encoder.config.maxLength),
    repeated.length,
  );
  const sample = ddimSampleFromText(denoiser, schedule, {
    text,
    rng: new Rng(seed + 99),
    numSteps: 50,
    guidanceScale: Number(values.guidance),
  });
  return tf.clipByValue(autoencoder.decode(tf.div(sample.latents, scalingFactor)), -1, 1);
});
const sampleSeconds = (performance.now() - sampleStart) / 1000;
await mkdir(values.out, { recursive: true });
await writeImageGrid(path.join(values.out, 'samples.png'), grid, { columns: 8, scale: 2 });
grid.dispose();
const summary = {
  split: splitOptions,
  command: `node dist/run/scripts/train-emoji-text-to-image.js ${process.argv.slice(2).join(' ')}`.trim(),
  backend: backend.name,
  seed,
  steps: initStep + steps,
  stepsThisRun: steps,
  initFrom: values.init === undefined ? null : { model: values.init, step: initStep },
  batchSize,
  workers,
  microBatches: microBatchCount,
  learningRate: Number(values.lr),
  minSnrGamma: minSnrGamma > 0 ? minSnrGamma : null,
  conditionNoise: conditionNoise > 0 ? conditionNoise : null,
  flip: values.flip ? { mirrorSafeImages: mirrorSafe.filter(Boolean).length } : null,
  extraArt:
    extraArt === undefined
      ? null
      : { images: extraArt.count, matched: extraArt.matched, unrenderable: extraArt.unrenderable },
  encoder: encoder.config,
  denoiser: denoiser.config,
  parameters: { encoder: encoder.parameterCount(), denoiser: denoiser.parameterCount() },
  trainImages: train.count,
  emaDecay,
  captionTags,
  tagProb,
  textFeatures: values['text-features'],
  tokenizer: {
    words: tokenizer.words.length,
    vocabSize: tokenizer.vocabSize,
    featuresPerWord: tokenizer.featuresPerWord,
  },
  finalLoss: result.history.at(-1)?.metrics.loss ?? null,
  trainImagesPerSecondThisRun: imagesSeen / Math.max(stepSeconds, 1e-9),
  sampleImagesPerSecond: (captions.length * 8) / sampleSeconds,
  sampleCaptions: { train: trainSampleCaptions, heldOut: heldOutSampleCaptions },
  guidanceScale: Number(values.guidance),
  wallTimeSecondsThisRun: (performance.now() - started) / 1000,
};
// Every run behind these weights, oldest first: the init model's runs, then this one.
const runs = [...earlierRuns, runRecord(summary)];
await writeFile(path.join(values.out, 'training.json'), `${JSON.stringify({ ...summary, runs }, null, 2)}\n`);
console.log(JSON.stringify(summary, null, 2));

/** One run's entry in training.json's `runs`: what it did to the weights and at what cost. */
function runRecord(run: Record<string, unknown>): Record<string, unknown> {
  const stepsThisRun = run.stepsThisRun ?? run.steps;
  return {
    command: run.command,
    toStep: run.steps,
    stepsThisRun,
    learningRate: run.learningRate,
    minSnrGamma: run.minSnrGamma ?? null,
    conditionNoise: run.conditionNoise ?? null,
    flip: run.flip ?? null,
    extraArt: run.extraArt ?? null,
    trainImages: run.trainImages ?? null,
    finalLoss: run.finalLoss,
    trainImagesPerSecond: run.trainImagesPerSecondThisRun,
    wallTimeSeconds: run.wallTimeSecondsThisRun,
  };
}

/** `a` then `b`, in one new array. */
function concatFloat32(a: Float32Array, b: Float32Array): Float32Array {
  const joined = new Float32Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

/** The images of the first `emoji` distinct captions of `dataset` (both vendors); all when 0. */
function firstEmoji(dataset: EmojiDataset, emoji: number): EmojiDataset {
  if (emoji <= 0) return dataset;
  const kept = new Set([...new Set(dataset.entries.map((entry) => entry.caption))].slice(0, emoji));
  return subsetEmojiDataset(
    dataset,
    dataset.entries.flatMap((entry, i) => (kept.has(entry.caption) ? [i] : [])),
  );
}
