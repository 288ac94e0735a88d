/**
 * Trains the latent autoencoder of the text-to-image model on the captioned emoji dataset
 * (Twemoji + Noto, 32x32 RGB): 32x32x3 -> 8x8x4, KL-regularised, L1 reconstruction.
 * Reproducible (seeded weights, data order and noise) and resumable: checkpoints (weights,
 * AdamW moments, generator states) go to --run-dir, outside git; run the same command again to
 * continue from the latest one. At the end it computes Stable Diffusion's latent scaling factor,
 * saves the model to --out, a PNG grid of held-out originals (odd rows) over their
 * reconstructions (even rows) and `training.json` (command, numbers, images/s).
 *
 *   npm run build && npm run build:examples -w @dpo-ts/diffusion
 *   node packages/diffusion/dist/run/scripts/train-emoji-autoencoder.js --steps 3000 \
 *     --run-dir runs/emoji-autoencoder --out packages/diffusion/checkpoints/emoji-autoencoder
 *
 * Fine-tuning for diffusability (docs/text-to-image-base.md): --init starts from a saved
 * autoencoder's weights (a fresh optimiser; --channels is then the saved model's), and
 * --se-weight w > 0 adds the scale-equivariance term of `autoencoderLoss` (Skorokhodov et al.
 * 2025) with the factors --se-factors. The summary reports the latents' high-frequency share
 * beside that of the images pooled to the latent size (`highFrequencyShare`).
 *
 *   node packages/diffusion/dist/run/scripts/train-emoji-autoencoder.js --init packages/diffusion/checkpoints/emoji-autoencoder \
 *     --se-weight 0.5 --steps 400 --lr 5e-4 --run-dir runs/emoji-autoencoder-se --out runs/emoji-autoencoder-se-out
 *
 * Needs emoji-datasource-twitter, emoji-datasource-google and emojibase-data installed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { EMOJI_SPLIT_OPTION, emojiSplitOptions } from './emoji-split-option.js';
import {
  AdamWOptimizer,
  Rng,
  applyGradientStep,
  computeNamedGradients,
  createLRSchedule,
  restoreWeights,
  runTrainingLoop,
} from '@dpo-ts/core/training';
import { selectBackend, type BackendRequest } from '@dpo-ts/core/backend';
import {
  LatentAutoencoder,
  autoencoderLoss,
  computeLatentScalingFactor,
  highFrequencyShare,
  loadLatentAutoencoder,
  loadEmojiDataset,
  saveLatentAutoencoder,
  splitEmojiDataset,
  writeImageGrid,
  type EmojiDataset,
  requireTrainedOnEmojiSplit,
} from '@dpo-ts/diffusion';

const { values } = parseArgs({
  options: {
    ...EMOJI_SPLIT_OPTION,
    steps: { type: 'string', default: '3000' },
    'batch-size': { type: 'string', default: '32' },
    lr: { type: 'string', default: '1e-3' },
    seed: { type: 'string', default: '0' },
    channels: { type: 'string', default: '32,64,64' },
    'skin-tones': { type: 'boolean', default: false },
    'run-dir': { type: 'string', default: 'runs/emoji-autoencoder' },
    out: { type: 'string', default: 'packages/diffusion/checkpoints/emoji-autoencoder' },
    'checkpoint-every': { type: 'string', default: '200' },
    'eval-every': { type: 'string', default: '500' },
    backend: { type: 'string', default: 'wasm' },
    init: { type: 'string' },
    'se-weight': { type: 'string', default: '0' },
    'se-factors': { type: 'string', default: '2,4' },
    help: { type: 'boolean', default: false },
  },
});
const splitOptions = emojiSplitOptions(values['split-hash']);
if (values.help) {
  console.log(
    'Usage: train-emoji-autoencoder.js [--steps 3000] [--batch-size 32] [--lr 1e-3] [--seed 0] [--channels 32,64,64] [--skin-tones] [--run-dir runs/emoji-autoencoder] [--out DIR] [--checkpoint-every 200] [--eval-every 500] [--backend wasm] [--init DIR] [--se-weight 0] [--se-factors 2,4]',
  );
  process.exit(0);
}
const steps = Number(values.steps);
const batchSize = Number(values['batch-size']);
const seed = Number(values.seed);
const backend = await selectBackend({ backend: values.backend as BackendRequest });
const started = performance.now();

const dataset = await loadEmojiDataset({ skinTones: values['skin-tones'] });
// The canonical split of the text-to-image model: 10% of the emoji held out, seed 0.
if (values.init !== undefined) await requireTrainedOnEmojiSplit(values.init, splitOptions, '--init');
const { train, heldOut } = splitEmojiDataset(dataset, splitOptions);
const size = 32 * 32 * 3;
const batchImages = (data: EmojiDataset, indices: readonly number[]): tf.Tensor4D => {
  const pixels = new Float32Array(indices.length * size);
  indices.forEach((index, i) => {
    pixels.set(data.images.subarray(index * size, (index + 1) * size), i * size);
  });
  return tf.tensor4d(pixels, [indices.length, 32, 32, 3]);
};

const lossOptions = {
  scaleEquivarianceWeight: Number(values['se-weight']),
  scaleFactors: values['se-factors'].split(',').map(Number),
};
const model =
  values.init !== undefined
    ? (await loadLatentAutoencoder(values.init)).autoencoder
    : new LatentAutoencoder({ seed, channels: values.channels.split(',').map(Number) });
const variables = model.namedVariables();
const optimizer = new AdamWOptimizer(variables, { weightDecay: 0 });
const schedule = createLRSchedule({
  learningRate: Number(values.lr),
  totalSteps: steps,
  type: 'cosine',
  warmupSteps: Math.min(100, Math.floor(steps / 10)),
});
let dataRng = new Rng(seed * 2 + 1);
let noiseRng = new Rng(seed * 2 + 2);
let imagesSeen = 0;
let stepSeconds = 0;
console.error(
  `emoji autoencoder: ${model.parameterCount()} weights, latent ${model.latentShape.join('x')}; ${train.count} training images, ${heldOut.count} held out; backend ${backend.name}; ${steps} steps of ${batchSize}${values.init !== undefined ? `; from ${values.init}` : ''}; scale-equivariance weight ${lossOptions.scaleEquivarianceWeight}`,
);

const heldOutSample = Array.from({ length: Math.min(256, heldOut.count) }, (_, i) =>
  Math.floor((i * heldOut.count) / Math.min(256, heldOut.count)),
);
async function evaluate(): Promise<Record<string, number>> {
  const images = batchImages(heldOut, heldOutSample);
  const [l1, mse] = tf.tidy(() => {
    const decoded = model.decode(model.encodeMean(images));
    const difference = tf.sub(tf.clipByValue(decoded, -1, 1), images);
    return [tf.mean(tf.abs(difference)), tf.mean(tf.square(difference))];
  });
  const [l1Value, mseValue] = [(await l1!.data())[0]!, (await mse!.data())[0]!];
  tf.dispose([images, l1!, mse!]);
  // PSNR over [0, 1] pixels: the [-1, 1] MSE is 4x the [0, 1] one.
  return { l1: l1Value, mse: mseValue, psnr: 10 * Math.log10(1 / (mseValue / 4)) };
}

const result = await runTrainingLoop({
  totalSteps: steps,
  step: async (stepIndex) => {
    const t0 = performance.now();
    const indices = Array.from({ length: batchSize }, () => dataRng.int(train.count));
    const images = batchImages(train, indices);
    let terms = { reconstruction: 0, kl: 0, se: 0 };
    const { value, grads } = computeNamedGradients(() => {
      const { loss, reconstruction, kl, scaleEquivariance } = autoencoderLoss(
        model,
        images,
        noiseRng,
        undefined,
        lossOptions,
      );
      terms = tf.tidy(() => ({
        reconstruction: reconstruction.dataSync()[0]!,
        kl: kl.dataSync()[0]!,
        se: scaleEquivariance.dataSync()[0]!,
      }));
      tf.dispose([reconstruction, kl, scaleEquivariance]);
      return loss;
    }, variables);
    try {
      const learningRate = schedule(stepIndex);
      const gradNorm = await applyGradientStep(optimizer, grads, { maxGradNorm: 1, learningRate, stepIndex });
      const loss = (await value.data())[0]!;
      imagesSeen += batchSize;
      stepSeconds += (performance.now() - t0) / 1000;
      return {
        loss,
        l1: terms.reconstruction,
        kl: terms.kl,
        se: terms.se,
        grad_norm: gradNorm,
        learning_rate: learningRate,
        images_per_second: imagesSeen / stepSeconds,
      };
    } finally {
      tf.dispose([value, images, ...grads.values()]);
    }
  },
  evaluate: async () => evaluate(),
  evalEvery: Number(values['eval-every']),
  checkpoint: {
    dir: values['run-dir'],
    every: Number(values['checkpoint-every']),
    keepLast: 2,
    save: async () => ({
      weights: variables,
      optimizer: await optimizer.state(),
      rng: { data: dataRng.state(), noise: noiseRng.state() },
      metadata: { seed, batchSize, channels: values.channels, split: splitOptions },
    }),
    restore: (checkpoint) => {
      restoreWeights(variables, checkpoint.weights, { source: checkpoint.path });
      if (checkpoint.optimizer) optimizer.loadState(checkpoint.optimizer);
      dataRng = Rng.fromState(checkpoint.rng.data!);
      noiseRng = Rng.fromState(checkpoint.rng.noise!);
    },
  },
  resume: 'auto',
  progress: { everySteps: 20, metrics: ['loss', 'l1', 'kl', 'se', 'grad_norm', 'images_per_second'] },
});

const final = await evaluate();
const scaleImages = batchImages(
  train,
  Array.from({ length: Math.min(1024, train.count) }, (_, i) =>
    Math.floor((i * train.count) / Math.min(1024, train.count)),
  ),
);
const scalingFactor = await computeLatentScalingFactor(model, scaleImages);
// Diffusability: the latents' finest-scale share against the images pooled to the latent size.
const latentFactor = 32 / model.latentShape[0];
const highFrequency = tf.tidy(() => ({
  latents: highFrequencyShare(model.encodeMean(scaleImages)),
  imagesAtLatentSize: highFrequencyShare(tf.avgPool(scaleImages, latentFactor, latentFactor, 'valid')),
}));
scaleImages.dispose();
await saveLatentAutoencoder(values.out, { autoencoder: model, scalingFactor });

// Grid: 4 pairs of rows, originals above their reconstructions, 16 held-out emoji per row.
const shown = Array.from({ length: 64 }, (_, i) => Math.floor((i * heldOut.count) / 64));
const originals = batchImages(heldOut, shown);
const reconstructions = tf.tidy(() => tf.clipByValue(model.decode(model.encodeMean(originals)), -1, 1));
const rows = tf.tidy(() => {
  const parts: tf.Tensor4D[] = [];
  for (let r = 0; r < 4; r++) {
    parts.push(
      tf.slice(originals, [16 * r, 0, 0, 0], [16, -1, -1, -1]),
      tf.slice(reconstructions, [16 * r, 0, 0, 0], [16, -1, -1, -1]),
    );
  }
  return tf.concat(parts, 0);
});
await mkdir(values.out, { recursive: true });
await writeImageGrid(path.join(values.out, 'reconstructions.png'), rows, { columns: 16, scale: 2 });
tf.dispose([originals, reconstructions, rows]);

const summary = {
  split: splitOptions,
  command: `node dist/run/scripts/train-emoji-autoencoder.js ${process.argv.slice(2).join(' ')}`.trim(),
  backend: backend.name,
  seed,
  steps,
  batchSize,
  learningRate: Number(values.lr),
  initFrom: values.init ?? null,
  scaleEquivariance: lossOptions,
  highFrequencyShare: highFrequency,
  lrSchedule: 'cosine, warm-up min(100, steps / 10)',
  config: model.config,
  parameters: model.parameterCount(),
  latentShape: model.latentShape,
  scalingFactor,
  trainImages: train.count,
  heldOutImages: heldOut.count,
  skinTones: values['skin-tones'],
  heldOutReconstruction: final,
  evalHistory: result.evalHistory,
  resumedFrom: result.resumedFrom ?? null,
  imagesPerSecondThisRun: imagesSeen / Math.max(stepSeconds, 1e-9),
  wallTimeSecondsThisRun: (performance.now() - started) / 1000,
  shownHeldOutCaptions: shown.map((i) => `${heldOut.entries[i]!.caption} (${heldOut.entries[i]!.vendor})`),
};
await writeFile(path.join(values.out, 'training.json'), `${JSON.stringify(summary, null, 2)}\n`);
console.log(JSON.stringify({ ...summary, evalHistory: undefined, shownHeldOutCaptions: undefined }, null, 2));
model.dispose();
optimizer.dispose();
