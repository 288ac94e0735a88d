/**
 * Diagnoses a text-to-image base (issue #14): does the denoiser use the caption, has the caption
 * encoder collapsed, are the latents scaled, are seeds diverse, does a partly noised training
 * latent come back to its own emoji? Prints one JSON object and writes `sdedit.png` and
 * `seeds.png` into --out. Cheap: a few minutes on a loaded 2-core machine.
 *
 *   node packages/diffusion/dist/run/scripts/diagnose-emoji-t2i.js \
 *     --model packages/diffusion/checkpoints/emoji-t2i --out /tmp/diagnosis
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Rng } from '@dpo-ts/core/training';
import { selectBackend, type BackendRequest } from '@dpo-ts/core/backend';
import {
  CAPTION_COVERAGE_GROUPS,
  CaptionEncoder,
  addNoise,
  autoencoderFeatures,
  captionCoverage,
  emojiCaptionWithTags,
  kernelDistance,
  clipRetrievalHits,
  loadEmojiCLIP,
  loadEmojiDataset,
  loadTextToImageSnapshot,
  NoiseSchedule,
  sampleCaptionImages,
  splitEmojiDataset,
  spellingBackoff,
  textGuidedNoise,
  writeImageGrid,
  encodeTextCondition,
} from '@dpo-ts/diffusion';
import { EMOJI_T2I_MODEL_OPTIONS } from './emoji-t2i-model-options.js';

const { values } = parseArgs({
  options: {
    ...EMOJI_T2I_MODEL_OPTIONS,
    out: { type: 'string', default: 'runs/diagnosis' },
    examples: { type: 'string', default: '256' },
    'retrieval-captions': { type: 'string', default: '200' },
    // The training run's --train-emoji: training-caption retrieval over those emoji only.
    'train-emoji': { type: 'string', default: '0' },
    // Skip section 7 (held-out retrieval and KID), e.g. for a memorisation run.
    'skip-held-out': { type: 'boolean', default: false },
    // Section 7 on every k-th held-out caption only, for a quick look (1: all of them).
    'held-out-every': { type: 'string', default: '1' },
    backend: { type: 'string', default: 'wasm' },
  },
});
await selectBackend({ backend: values.backend as BackendRequest });
const { train, heldOut } = splitEmojiDataset(await loadEmojiDataset(), { heldOutFraction: 0.1, seed: 0 });
const trainCaptions = train.entries.map((entry) => entry.caption);
const snapshot = await loadTextToImageSnapshot(values.model, { trainCaptions, autoencoder: values.autoencoder });
const { model, autoencoder } = snapshot;
const { encoder, denoiser, tokenizer } = model;
const scale = autoencoder.scalingFactor;
const schedule = new NoiseSchedule();
const rng = new Rng(5);
const report: Record<string, unknown> = { model: values.model, step: snapshot.step };

// 1. Latent statistics: per-channel mean and std of the scaled training latents.
const count = Number(values.examples);
const picked = Array.from({ length: count }, () => rng.int(train.count));
const images = new Float32Array(count * 3072);
picked.forEach((index, i) => {
  images.set(train.images.subarray(index * 3072, (index + 1) * 3072), i * 3072);
});
const latents = tf.tidy(() =>
  tf.mul(autoencoder.autoencoder.encodeMean(tf.tensor4d(images, [count, 32, 32, 3])), scale),
);
const moments = tf.tidy(() => tf.moments(latents, [0, 1, 2]));
report.latentChannelMean = Array.from(await moments.mean.data());
report.latentChannelStd = Array.from(await moments.variance.data(), Math.sqrt);
tf.dispose([moments.mean, moments.variance]);

// 2. Is the text used? eps-MSE per timestep band with the right, a shuffled and the null caption.
const captions = picked.map((index) => trainCaptions[index]!);
const shuffled = captions.map((_, i) => captions[(i + 1 + rng.int(count - 1)) % count]!);
const embed = (list: readonly string[]): tf.Tensor2D =>
  encodeTextCondition(encoder, denoiser, tokenizer.encodeBatch(list, encoder.config.maxLength), list.length);
const right = embed(captions);
const wrong = embed(shuffled);
const empty = denoiser.nullTexts(count);
const bands: [number, number][] = [
  [0, 100],
  [100, 400],
  [400, 700],
  [700, 1000],
];
const epsMSE: Record<string, Record<string, number>> = {};
for (const [low, high] of bands) {
  const timesteps = Array.from({ length: count }, () => low + rng.int(high - low));
  const noise = tf.tensor4d(
    Float32Array.from({ length: latents.size }, () => rng.normal()),
    latents.shape as [number, number, number, number],
  );
  const noisy = addNoise(schedule, latents as tf.Tensor4D, timesteps, noise);
  const t = tf.tensor1d(Float32Array.from(timesteps));
  const row: Record<string, number> = {};
  for (const [name, text] of [
    ['right', right],
    ['shuffled', wrong],
    ['null', empty],
  ] as const) {
    const mse = tf.tidy(() => tf.mean(tf.square(tf.sub(noise, denoiser.predictNoise(noisy, t, text)))));
    row[name] = (await mse.data())[0]!;
    mse.dispose();
  }
  epsMSE[`t${low}-${high - 1}`] = row;
  tf.dispose([noise, noisy, t]);
}
report.epsMSE = epsMSE;

// 3. Encoder collapse: pooled embeddings of distinct captions; weights moved from their init?
const distinct = [...new Set(trainCaptions)].slice(0, 200);
const pooled = embed(distinct);
const stats = tf.tidy(() => {
  const unit = tf.div(pooled, tf.norm(pooled, 2, 1, true));
  const cosines = tf.matMul(unit, unit, false, true);
  const n = distinct.length;
  const offDiagonalMean = tf.div(tf.sub(tf.sum(cosines), n), n * (n - 1));
  const { variance } = tf.moments(pooled, 0);
  return [offDiagonalMean, tf.mean(variance), tf.mean(tf.square(pooled))];
});
const [cosine, dimVariance, meanSquare] = await Promise.all(stats.map((s) => s.data()));
report.encoder = {
  meanPairwiseCosine: cosine![0],
  meanPerDimVariance: dimVariance![0],
  meanSquare: meanSquare![0],
  nullTextNorm: (await tf.tidy(() => tf.norm(denoiser.nullText)).data())[0],
};
tf.dispose([...stats, pooled]);
const init = new CaptionEncoder(encoder.config);
const moved: Record<string, number> = {};
for (const [name, variable] of encoder.namedVariables()) {
  if (!['tok', 'pos', 'block.0.qkv.kernel', 'block.1.mlp2.kernel'].includes(name)) continue;
  const start = init.namedVariables().get(name)!;
  const ratio = tf.tidy(() => tf.div(tf.norm(tf.sub(variable, start)), tf.add(tf.norm(start), 1e-12)));
  moved[name] = (await ratio.data())[0]!;
  ratio.dispose();
}
init.dispose();
(report.encoder as Record<string, unknown>).relativeChangeFromInit = moved;

// 4. SDEdit: noise 8 training latents to t, DDIM (eta 0) back with the right / a shuffled caption.
const sdeditCount = 8;
const sdeditRows: Float32Array[] = [images.subarray(0, sdeditCount * 3072)];
const sdedit: Record<string, Record<string, number>> = {};
for (const start of [300, 600]) {
  const row: Record<string, number> = {};
  const clean = tf.slice(latents, 0, sdeditCount) as tf.Tensor4D;
  const noise = tf.tensor4d(
    Float32Array.from({ length: clean.size }, () => rng.normal()),
    clean.shape,
  );
  const noisy = addNoise(schedule, clean, new Array<number>(sdeditCount).fill(start), noise);
  for (const [name, text] of [
    ['right', right],
    ['shuffled', wrong],
  ] as const) {
    const caption = tf.slice(text, 0, sdeditCount);
    let x = tf.clone(noisy);
    for (let t = start; t > 0; t -= 20) {
      const previous = Math.max(t - 20, 0);
      const next = tf.tidy(() => {
        const eps = textGuidedNoise(denoiser, x, tf.fill([sdeditCount], t, 'float32') as tf.Tensor1D, caption, 3);
        const a = schedule.alphasCumprod[t]!;
        const ap = previous === 0 ? 1 : schedule.alphasCumprod[previous]!;
        const x0 = tf.div(tf.sub(x, tf.mul(Math.sqrt(1 - a), eps)), Math.sqrt(a));
        return tf.add(tf.mul(Math.sqrt(ap), x0), tf.mul(Math.sqrt(1 - ap), eps)) as tf.Tensor4D;
      });
      x.dispose();
      x = next;
    }
    const mse = tf.tidy(() => tf.mean(tf.square(tf.sub(x, clean))));
    row[name] = (await mse.data())[0]!;
    const decoded = tf.tidy(() => tf.clipByValue(autoencoder.autoencoder.decode(tf.div(x, scale)), -1, 1));
    sdeditRows.push((await decoded.data()) as Float32Array);
    tf.dispose([mse, decoded, x, caption]);
  }
  sdedit[`t${start}`] = row;
  tf.dispose([clean, noise, noisy]);
}
report.sdeditLatentMSE = sdedit;
tf.dispose([right, wrong, empty, latents]);
await mkdir(values.out, { recursive: true });
const sdeditGrid = new Float32Array(sdeditRows.length * sdeditCount * 3072);
sdeditRows.forEach((row, i) => {
  sdeditGrid.set(row, i * sdeditCount * 3072);
});
await writeImageGrid(
  path.join(values.out, 'sdedit.png'),
  { data: sdeditGrid, shape: [sdeditRows.length * sdeditCount, 32, 32, 3] },
  { columns: sdeditCount, scale: 2 },
);

// 5. Seeds and guidance: 8 training captions x 6 seeds at guidance 1 and 3; spread across seeds.
const seedCaptions = Array.from({ length: 8 }, (_, i) => trainCaptions[Math.floor((i * train.count) / 16)]!);
const seedGrid: Float32Array[] = [];
const diversity: Record<string, number> = {};
for (const guidanceScale of [1, 3]) {
  const list = seedCaptions.flatMap((caption) => new Array<string>(6).fill(caption));
  const drawn = await sampleCaptionImages(model, autoencoder, schedule, list, { seed: 3, numSteps: 25, guidanceScale });
  seedGrid.push(drawn);
  // Mean pixel std across the 6 seeds of a caption vs across the 8 captions' first seeds.
  const spread = (indices: number[]): number => {
    let total = 0;
    for (let p = 0; p < 3072; p++) {
      const column = indices.map((k) => drawn[k * 3072 + p]!);
      const mean = column.reduce((a, b) => a + b, 0) / column.length;
      total += Math.sqrt(column.reduce((a, b) => a + (b - mean) ** 2, 0) / column.length);
    }
    return total / 3072;
  };
  const withinCaption = seedCaptions.map((_, c) => spread([0, 1, 2, 3, 4, 5].map((s) => c * 6 + s)));
  diversity[`g${guidanceScale}.pixelStdAcrossSeeds`] = withinCaption.reduce((a, b) => a + b, 0) / withinCaption.length;
  diversity[`g${guidanceScale}.pixelStdAcrossCaptions`] = spread(seedCaptions.map((_, c) => c * 6));
}
report.seedDiversity = diversity;
const seedData = new Float32Array(2 * 48 * 3072);
seedGrid.forEach((grid, i) => {
  seedData.set(grid, i * 48 * 3072);
});
await writeImageGrid(
  path.join(values.out, 'seeds.png'),
  { data: seedData, shape: [96, 32, 32, 3] },
  { columns: 12, scale: 2 },
);

// 6. Training-caption retrieval by the held-out scorer (1 sample per caption, 10 candidates).
const scorer = await loadEmojiCLIP(values.scorer);
const trainEmoji = Number(values['train-emoji']);
const retrievalCaptions = (
  trainEmoji > 0
    ? [...new Set(trainCaptions)].slice(0, trainEmoji)
    : [...new Set(trainCaptions)].filter((_, i) => i % 7 === 0)
).slice(0, Number(values['retrieval-captions']));
// One DDIM sample (25 steps, guidance 3) per prompt; hit = the scorer ranks its caption first among 10.
const retrieval = async (prompts: readonly string[], captions: readonly string[], seed: number) => {
  const samples = await sampleCaptionImages(model, autoencoder, schedule, prompts, {
    seed,
    numSteps: 25,
    guidanceScale: 3,
  });
  return { samples, hits: await clipRetrievalHits(scorer, samples, captions, 10, 0) };
};
const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;
report.trainCaptionRetrieval = mean((await retrieval(retrievalCaptions, retrievalCaptions, 4)).hits);

if (!values['skip-held-out']) {
  // 7. Held-out captions: retrieval per vocabulary coverage, KID x1000 against the real held-out emoji.
  const every = Number(values['held-out-every']);
  const heldOutCaptions = [...new Set(heldOut.entries.map((entry) => entry.caption))].filter((_, i) => i % every === 0);
  const { samples: heldOutSamples, hits: heldOutHits } = await retrieval(heldOutCaptions, heldOutCaptions, 6);
  const coverage = captionCoverage(tokenizer, heldOutCaptions, encoder.config.maxLength);
  const byCoverage: Record<string, { captions: number; retrieval: number }> = {};
  for (const group of ['all', ...CAPTION_COVERAGE_GROUPS] as const) {
    const hitsOf = heldOutHits.filter((_, i) => group === 'all' || coverage[i] === group);
    byCoverage[group] = { captions: hitsOf.length, retrieval: mean(hitsOf) };
  }
  report.heldOutRetrieval = byCoverage;
  // The same captions prompted with up to 5 emojibase tags ("watermelon (fruit, ...)"); scored against the plain captions.
  const taggedPrompts = heldOutCaptions.map((caption) =>
    emojiCaptionWithTags(heldOut.entries.find((entry) => entry.caption === caption)!, 5),
  );
  report.heldOutRetrievalTaggedPrompts = mean((await retrieval(taggedPrompts, heldOutCaptions, 6)).hits);
  // The same captions with unknown words replaced by the known word spelled most alike.
  const backoff = spellingBackoff(tokenizer);
  report.heldOutRetrievalSpellingBackoff = mean(
    (await retrieval(heldOutCaptions.map(backoff), heldOutCaptions, 6)).hits,
  );
  const realFeatures = await autoencoderFeatures(autoencoder, heldOut.images, heldOut.count);
  const sampleFeatures = await autoencoderFeatures(autoencoder, heldOutSamples, heldOutCaptions.length);
  report.heldOutKIDx1000 = 1000 * kernelDistance(realFeatures, sampleFeatures, realFeatures.length / heldOut.count);
}
console.log(JSON.stringify(report, null, 2));
