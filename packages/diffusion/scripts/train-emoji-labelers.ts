/**
 * Trains one labeler or held-out oracle of the text-to-image preference experiments on the
 * captioned emoji dataset (Twemoji + Noto, 32x32 RGB, the canonical split: 10% of the emoji held
 * out, seed 0), and saves it with its held-out accuracy:
 *
 * - `--kind clip`: a small CLIP (symmetric InfoNCE, learned temperature); measured by held-out
 *   caption retrieval, the right caption first among K = 10 (chance 0.1);
 * - `--kind style`: a Twemoji-vs-Noto style classifier (the personal-taste labeler); measured
 *   by held-out accuracy (chance 0.5).
 *
 * `--half a|b` trains on one half of the training emoji (split by a hash of the emoji id), so a
 * labeler (half a) and its oracle (half b, another seed, another width) never share data.
 * Reproducible and resumable: checkpoints in --run-dir (outside git); run the same command again
 * to continue.
 *
 *   npm run build && npm run build:examples -w @dpo-ts/diffusion
 *   node packages/diffusion/dist/run/scripts/train-emoji-labelers.js --kind clip --half a --seed 0 \
 *     --run-dir runs/emoji-clip --out packages/diffusion/checkpoints/emoji-clip
 */
import * as tf from '@tensorflow/tfjs-core';
import { writeFile } from 'node:fs/promises';
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
  CaptionTokenizer,
  EmojiCLIP,
  StyleClassifier,
  fnv1a32,
  loadEmojiDataset,
  retrievalAccuracy,
  saveEmojiCLIP,
  saveStyleClassifier,
  splitEmojiDataset,
  subsetEmojiDataset,
  type EmojiDataset,
} from '@dpo-ts/diffusion';

const { values } = parseArgs({
  options: {
    ...EMOJI_SPLIT_OPTION,
    kind: { type: 'string', default: 'clip' },
    half: { type: 'string', default: 'a' },
    steps: { type: 'string', default: '600' },
    'batch-size': { type: 'string', default: '64' },
    lr: { type: 'string', default: '2e-3' },
    seed: { type: 'string', default: '0' },
    channels: { type: 'string', default: '16,32,32,32' },
    'text-dim': { type: 'string', default: '48' },
    candidates: { type: 'string', default: '10' },
    // Default: runs/emoji-labeler/<basename of --out>, so runs with other --out never share one.
    'run-dir': { type: 'string' },
    out: { type: 'string', default: 'packages/diffusion/checkpoints/emoji-clip' },
    'checkpoint-every': { type: 'string', default: '100' },
    backend: { type: 'string', default: 'wasm' },
    help: { type: 'boolean', default: false },
  },
});
const splitOptions = emojiSplitOptions(values['split-hash']);
if (values.help || !['clip', 'style'].includes(values.kind) || !['a', 'b', 'all'].includes(values.half)) {
  console.log(
    'Usage: train-emoji-labelers.js --kind clip|style [--half a|b|all] [--steps 600] [--batch-size 64] [--lr 2e-3] [--seed 0] [--channels 16,32,32,32] [--text-dim 48] [--candidates 10] [--run-dir DIR] [--out DIR] [--checkpoint-every 100] [--backend wasm]',
  );
  process.exit(values.help ? 0 : 1);
}
const kind = values.kind as 'clip' | 'style';
const steps = Number(values.steps);
const batchSize = Number(values['batch-size']);
const seed = Number(values.seed);
const candidates = Number(values.candidates);
const channels = values.channels.split(',').map(Number);
const backend = await selectBackend({ backend: values.backend as BackendRequest });
const started = performance.now();

const dataset = await loadEmojiDataset();
const { train: allTrain, heldOut } = splitEmojiDataset(dataset, splitOptions);
const inHalf = (emojiId: string): boolean =>
  values.half === 'all' || (fnv1a32(`half:${emojiId}`) % 2 === 0) === (values.half === 'a');
const train = subsetEmojiDataset(
  allTrain,
  allTrain.entries.flatMap((entry, i) => (inHalf(entry.emojiId) ? [i] : [])),
);
const size = 32 * 32 * 3;
const batchImages = (data: EmojiDataset, indices: readonly number[]): tf.Tensor4D => {
  const pixels = new Float32Array(indices.length * size);
  indices.forEach((index, i) => {
    pixels.set(data.images.subarray(index * size, (index + 1) * size), i * size);
  });
  return tf.tensor4d(pixels, [indices.length, 32, 32, 3]);
};
const isTwemoji = (data: EmojiDataset, i: number): number => (data.entries[i]!.vendor === 'twitter' ? 1 : 0);

const tokenizer = CaptionTokenizer.fromCaptions(train.entries.map((entry) => entry.caption));
const maxLength = 8;
const clip =
  kind === 'clip'
    ? new EmojiCLIP({
        text: { vocabSize: tokenizer.vocabSize, maxLength, dim: Number(values['text-dim']), layers: 2, heads: 4 },
        image: { channels },
        embedDim: 64,
        seed,
      })
    : undefined;
const classifier =
  kind === 'style' ? new StyleClassifier({ image: { channels }, positive: 'twitter', seed }) : undefined;
const model = (clip ?? classifier)!;
const variables = model.namedVariables();
const optimizer = new AdamWOptimizer(variables, { weightDecay: 0.01 });
const schedule = createLRSchedule({
  learningRate: Number(values.lr),
  totalSteps: steps,
  type: 'cosine',
  warmupSteps: Math.min(50, Math.floor(steps / 10)),
});
let dataRng = new Rng(seed * 2 + 1);
let imagesSeen = 0;
let stepSeconds = 0;
console.error(
  `${kind} (half ${values.half}, seed ${seed}): ${model.parameterCount()} weights; ${train.count} training images, ${heldOut.count} held out; backend ${backend.name}; ${steps} steps of ${batchSize}`,
);

/** Held-out retrieval (CLIP) or accuracy (style), over every held-out image. */
async function evaluate(): Promise<Record<string, number>> {
  const all = Array.from({ length: heldOut.count }, (_, i) => i);
  if (clip !== undefined) {
    const captions = heldOut.entries.map((entry) => entry.caption);
    const images = batchImages(heldOut, all);
    const [imageEmbeddings, textEmbeddings] = tf.tidy(() => [
      clip.embedImages(images),
      clip.embedTexts(tokenizer.encodeBatch(captions, maxLength), heldOut.count),
    ]);
    const result = retrievalAccuracy(
      (await imageEmbeddings!.data()) as Float32Array,
      (await textEmbeddings!.data()) as Float32Array,
      clip.config.embedDim,
      captions,
      candidates,
      1,
    );
    tf.dispose([images, imageEmbeddings!, textEmbeddings!]);
    return { retrieval_accuracy: result.accuracy, chance: result.chance };
  }
  const images = batchImages(heldOut, all);
  const logits = classifier!.logits(images);
  const values = await logits.data();
  tf.dispose([images, logits]);
  let correct = 0;
  values.forEach((logit, i) => {
    if ((logit > 0 ? 1 : 0) === isTwemoji(heldOut, i)) correct += 1;
  });
  return {
    accuracy: correct / heldOut.count,
    twemoji_share_predicted: values.filter((v) => v > 0).length / values.length,
  };
}

const result = await runTrainingLoop({
  totalSteps: steps,
  step: async (stepIndex) => {
    const t0 = performance.now();
    // CLIP: one image per caption text in a batch, so no two rows are true matches of each other.
    const indices: number[] = [];
    const seen = new Set<string>();
    while (indices.length < batchSize) {
      const index = dataRng.int(train.count);
      const caption = train.entries[index]!.caption;
      if (clip !== undefined && seen.has(caption)) continue;
      seen.add(caption);
      indices.push(index);
    }
    const images = batchImages(train, indices);
    const { value, grads } = computeNamedGradients(
      () =>
        clip !== undefined
          ? clip.loss(
              images,
              tokenizer.encodeBatch(
                indices.map((i) => train.entries[i]!.caption),
                maxLength,
              ),
            )
          : classifier!.loss(
              images,
              indices.map((i) => isTwemoji(train, i)),
            ),
      variables,
    );
    try {
      const learningRate = schedule(stepIndex);
      const gradNorm = await applyGradientStep(optimizer, grads, { maxGradNorm: 1, learningRate, stepIndex });
      const loss = (await value.data())[0]!;
      imagesSeen += batchSize;
      stepSeconds += (performance.now() - t0) / 1000;
      const extra: Record<string, number> =
        clip !== undefined ? { scale: tf.tidy(() => clip.scale().dataSync()[0]!) } : {};
      return {
        loss,
        grad_norm: gradNorm,
        learning_rate: learningRate,
        images_per_second: imagesSeen / stepSeconds,
        ...extra,
      };
    } finally {
      tf.dispose([value, images, ...grads.values()]);
    }
  },
  evaluate: async () => evaluate(),
  evalEvery: Math.max(1, Math.floor(steps / 4)),
  checkpoint: {
    dir: values['run-dir'] ?? path.join('runs', 'emoji-labeler', path.basename(path.resolve(values.out))),
    every: Number(values['checkpoint-every']),
    keepLast: 2,
    save: async () => ({
      weights: variables,
      optimizer: await optimizer.state(),
      rng: { data: dataRng.state() },
      metadata: { kind, half: values.half, seed, batchSize, channels: values.channels, split: splitOptions },
    }),
    restore: (checkpoint) => {
      restoreWeights(variables, checkpoint.weights, { source: checkpoint.path });
      if (checkpoint.optimizer) optimizer.loadState(checkpoint.optimizer);
      dataRng = Rng.fromState(checkpoint.rng.data!);
    },
  },
  resume: 'auto',
  progress: { everySteps: 25, metrics: ['loss', 'grad_norm', 'images_per_second'] },
});

const final = await evaluate();
const summary = {
  split: splitOptions,
  command: `node dist/run/scripts/train-emoji-labelers.js ${process.argv.slice(2).join(' ')}`.trim(),
  kind,
  half: values.half,
  backend: backend.name,
  seed,
  steps,
  batchSize,
  learningRate: Number(values.lr),
  parameters: model.parameterCount(),
  trainImages: train.count,
  heldOutImages: heldOut.count,
  heldOut: final,
  evalHistory: result.evalHistory,
  resumedFrom: result.resumedFrom ?? null,
  imagesPerSecondThisRun: imagesSeen / Math.max(stepSeconds, 1e-9),
  wallTimeSecondsThisRun: (performance.now() - started) / 1000,
};
if (clip !== undefined) await saveEmojiCLIP(values.out, { clip, tokenizer }, { heldOut: final, half: values.half });
else await saveStyleClassifier(values.out, classifier!, { heldOut: final, half: values.half });
await writeFile(path.join(values.out, 'training.json'), `${JSON.stringify(summary, null, 2)}\n`);
console.log(JSON.stringify({ ...summary, evalHistory: undefined }, null, 2));
model.dispose();
optimizer.dispose();
