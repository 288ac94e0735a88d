/**
 * Trains the text-to-image base: a caption encoder and a FiLM latent denoiser, jointly, on the
 * emoji training split encoded once by a trained latent autoencoder (see
 * train-emoji-autoencoder.ts), with classifier-free-guidance dropout. Reproducible and resumable
 * (checkpoints in --run-dir, outside git; rerun the same command to continue). At the end it
 * saves the model (`saveTextToImageModel`) to --out with a grid of DDIM samples for held-out
 * captions (one row per caption, guidance --guidance) and `training.json`.
 *
 *   node packages/diffusion/dist/run/scripts/train-emoji-text-to-image.js \
 *     --autoencoder packages/diffusion/checkpoints/emoji-autoencoder --steps 20000 \
 *     --run-dir runs/emoji-t2i --out runs/emoji-t2i-out
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
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
  CaptionEncoder,
  CaptionTokenizer,
  LatentTextDenoiser,
  NoiseSchedule,
  ddimSampleFromText,
  loadEmojiDataset,
  loadLatentAutoencoder,
  saveTextToImageModel,
  splitEmojiDataset,
  textToImageLoss,
  textToImageVariables,
  writeImageGrid,
} from '@dpo-ts/diffusion';

const { values } = parseArgs({
  options: {
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
  },
});
const steps = Number(values.steps);
const batchSize = Number(values['batch-size']);
const seed = Number(values.seed);
const backend = await selectBackend({ backend: values.backend as BackendRequest });
const started = performance.now();

const { autoencoder, scalingFactor } = await loadLatentAutoencoder(values.autoencoder);
const { train, heldOut } = splitEmojiDataset(await loadEmojiDataset({ skinTones: values['skin-tones'] }), {
  heldOutFraction: 0.1,
  seed: 0,
});
// Scaled latents of every training image, computed once: [count, 8, 8, 4].
const latentSize = autoencoder.latentShape.reduce((a, b) => a * b, 1);
const latents = new Float32Array(train.count * latentSize);
for (let start = 0; start < train.count; start += 64) {
  const size = Math.min(64, train.count - start);
  const encoded = tf.tidy(() =>
    tf.mul(
      autoencoder.encodeMean(
        tf.tensor4d(train.images.subarray(start * 3072, (start + size) * 3072), [size, 32, 32, 3]),
      ),
      scalingFactor,
    ),
  );
  latents.set(await encoded.data(), start * latentSize);
  encoded.dispose();
}
const tokenizer = CaptionTokenizer.fromCaptions(train.entries.map((entry) => entry.caption));
const encoder = new CaptionEncoder({ vocabSize: tokenizer.vocabSize, seed });
const denoiser = new LatentTextDenoiser({
  latentShape: autoencoder.latentShape,
  textDim: encoder.config.dim,
  seed: seed + 1,
});
const schedule = new NoiseSchedule();
const variables = textToImageVariables({ encoder, denoiser });
const optimizer = new AdamWOptimizer(variables, { weightDecay: 0 });
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
let dataRng = new Rng(seed * 2 + 11);
let noiseRng = new Rng(seed * 2 + 12);
let imagesSeen = 0;
let stepSeconds = 0;
console.error(
  `text-to-image: caption encoder ${encoder.parameterCount()} + denoiser ${denoiser.parameterCount()} weights; vocabulary ${tokenizer.vocabSize}; ${train.count} training images; latents ${autoencoder.latentShape.join('x')} x ${scalingFactor.toFixed(4)}; backend ${backend.name}`,
);

const result = await runTrainingLoop({
  totalSteps: steps,
  step: async (stepIndex) => {
    const t0 = performance.now();
    const indices = Array.from({ length: batchSize }, () => dataRng.int(train.count));
    const batchLatents = new Float32Array(batchSize * latentSize);
    const batchIds = new Int32Array(batchSize * encoder.config.maxLength);
    indices.forEach((index, i) => {
      batchLatents.set(latents.subarray(index * latentSize, (index + 1) * latentSize), i * latentSize);
      batchIds.set(
        tokenIds.subarray(index * encoder.config.maxLength, (index + 1) * encoder.config.maxLength),
        i * encoder.config.maxLength,
      );
    });
    const latentTensor = tf.tensor4d(batchLatents, [batchSize, ...autoencoder.latentShape]);
    const { value, grads } = computeNamedGradients(
      () => textToImageLoss(encoder, denoiser, schedule, { latents: latentTensor, tokenIds: batchIds }, noiseRng),
      variables,
    );
    try {
      const learningRate = lrSchedule(stepIndex);
      const gradNorm = await applyGradientStep(optimizer, grads, { maxGradNorm: 1, learningRate, stepIndex });
      imagesSeen += batchSize;
      stepSeconds += (performance.now() - t0) / 1000;
      return {
        loss: (await value.data())[0]!,
        grad_norm: gradNorm,
        learning_rate: learningRate,
        images_per_second: imagesSeen / stepSeconds,
      };
    } finally {
      tf.dispose([value, latentTensor, ...grads.values()]);
    }
  },
  checkpoint: {
    dir: values['run-dir'],
    every: Number(values['checkpoint-every']),
    keepLast: 2,
    save: async () => ({
      weights: variables,
      optimizer: await optimizer.state(),
      rng: { data: dataRng.state(), noise: noiseRng.state() },
      metadata: { seed, batchSize },
    }),
    restore: (checkpoint) => {
      restoreWeights(variables, checkpoint.weights, { source: checkpoint.path });
      if (checkpoint.optimizer) optimizer.loadState(checkpoint.optimizer);
      dataRng = Rng.fromState(checkpoint.rng.data!);
      noiseRng = Rng.fromState(checkpoint.rng.noise!);
    },
  },
  resume: 'auto',
  progress: { everySteps: 50, metrics: ['loss', 'grad_norm', 'images_per_second'] },
});

await saveTextToImageModel(
  values.out,
  { tokenizer, encoder, denoiser },
  { autoencoder: values.autoencoder, scalingFactor },
);
// Samples: 12 held-out emoji (one per row, twitter art first in the dataset), 8 seeds each.
const captions = Array.from({ length: 12 }, (_, i) => heldOut.entries[Math.floor((i * heldOut.count) / 24)]!.caption);
const sampleStart = performance.now();
const grid = tf.tidy(() => {
  const repeated = captions.flatMap((caption) => new Array<string>(8).fill(caption));
  const { pooled, tokens } = encoder.encode(tokenizer.encodeBatch(repeated, encoder.config.maxLength), repeated.length);
  tokens.dispose();
  const sample = ddimSampleFromText(denoiser, schedule, {
    text: pooled,
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
  command: `node dist/run/scripts/train-emoji-text-to-image.js ${process.argv.slice(2).join(' ')}`.trim(),
  backend: backend.name,
  seed,
  steps,
  batchSize,
  learningRate: Number(values.lr),
  encoder: encoder.config,
  denoiser: denoiser.config,
  parameters: { encoder: encoder.parameterCount(), denoiser: denoiser.parameterCount() },
  trainImages: train.count,
  finalLoss: result.history.at(-1)?.metrics.loss ?? null,
  trainImagesPerSecondThisRun: imagesSeen / Math.max(stepSeconds, 1e-9),
  sampleImagesPerSecond: (captions.length * 8) / sampleSeconds,
  sampleCaptions: captions,
  guidanceScale: Number(values.guidance),
  wallTimeSecondsThisRun: (performance.now() - started) / 1000,
};
await writeFile(path.join(values.out, 'training.json'), `${JSON.stringify(summary, null, 2)}\n`);
console.log(JSON.stringify(summary, null, 2));
