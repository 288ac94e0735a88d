/**
 * Does a text-to-image base tell a caption from its one-word sibling? For training captions with
 * a sibling one word away ("up arrow" and "down arrow"; `oneWordSiblings`), the denoising error
 * of the caption's own training emoji conditioned on the caption, on the sibling, on an
 * unrelated training caption (no word in common) and on the null caption, with the same noise
 * draws for all four:
 *
 *   eps-MSE(c, t) = mean (e - eps_theta(sqrt(abar_t) z_0 + sqrt(1 - abar_t) e, t, c))^2
 *
 * Reported per timestep: the mean errors and the relative increase over the own caption's
 * (eps-MSE(c') / eps-MSE(c) - 1, a bootstrap CI over captions); and, summed over the timesteps,
 * how often the own caption gives the lower error than the sibling, and than the unrelated
 * caption: the accuracy of the model used as a diffusion classifier between two captions
 * (Li et al. 2023, "Your Diffusion Model is Secretly a Zero-Shot Classifier"; chance 0.5), and
 * the 8 captions it tells least from their sibling.
 * A base that draws "speaker" for every speaker caption has a sibling increase near 0 and a
 * sibling accuracy near 0.5, while its unrelated increase is large: it knows the object, not the
 * word that tells the siblings apart, the resolution a held-out caption needs whose training
 * neighbours are one word away.
 *
 * With `--split held-out` the captions are held-out ones with a training sibling one word away
 * ("speaker high volume" and "speaker low volume"), their images are the held-out emoji, and
 * the sibling and the unrelated caption are training captions: whether the model reads the word
 * it never saw in that caption, or draws the sibling it knows. Its own caption beating the sibling
 * there is what a held-out grid row needs.
 *
 * Prints one JSON object on stdout and the same numbers as a Markdown table on stderr; about a
 * minute per model on 2 cores with the defaults.
 *
 *   node packages/diffusion/dist/run/scripts/emoji-t2i-caption-sensitivity.js \
 *     --model packages/diffusion/checkpoints/emoji-t2i > sensitivity.json
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { EMOJI_SPLIT_OPTION } from './emoji-split-option.js';
import { bootstrapMeanCI, DPOTSError, InvalidArgumentError, type ConfidenceInterval } from '@dpo-ts/core';
import { Rng } from '@dpo-ts/core/training';
import { addNoise, CaptionTokenizer, encodeTextCondition, NoiseSchedule, oneWordSiblings } from '@dpo-ts/diffusion';
import { EMOJI_T2I_MODEL_OPTIONS, loadEmojiT2IScriptModel, parseTimestepList } from './emoji-t2i-model-options.js';

const { values } = parseArgs({
  options: {
    ...EMOJI_SPLIT_OPTION,
    ...EMOJI_T2I_MODEL_OPTIONS,
    split: { type: 'string', default: 'train' },
    captions: { type: 'string', default: '256' },
    'noise-draws': { type: 'string', default: '4' },
    timesteps: { type: 'string', default: '100,250,500' },
    seed: { type: 'string', default: '5' },
    resamples: { type: 'string', default: '4000' },
    backend: { type: 'string', default: 'wasm' },
  },
});
const positiveInteger = (flag: string, value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(flag, 'an integer >= 1', value);
  return n;
};
const captionCount = positiveInteger('--captions', values.captions);
const draws = positiveInteger('--noise-draws', values['noise-draws']);
const seed = Number(values.seed);
const schedule = new NoiseSchedule();
const timesteps = parseTimestepList(values.timesteps, schedule.numTimesteps);
const { train, heldOut, snapshot } = await loadEmojiT2IScriptModel(values);
const trainCaptions = train.entries.map((entry) => entry.caption);
const split = values.split;
if (split !== 'train' && split !== 'held-out')
  throw new InvalidArgumentError('--split', "'train' or 'held-out'", split);
const measured = split === 'train' ? train : heldOut;
const { model, autoencoder } = snapshot;

// The captions measured: a seeded draw of those with a sibling; for each, one sibling and one
// unrelated caption (no word in common), also drawn.
const rng = new Rng(seed);
// Held-out captions are paired with training siblings only: the captions the model was trained on.
const trainSet = new Set(trainCaptions);
const withSiblings =
  split === 'train'
    ? oneWordSiblings(trainCaptions)
    : oneWordSiblings([...new Set(heldOut.entries.map((entry) => entry.caption)), ...trainSet]).flatMap(
        ({ caption, siblings }) => {
          const trained = siblings.filter((sibling) => trainSet.has(sibling));
          return !trainSet.has(caption) && trained.length > 0 ? [{ caption, siblings: trained }] : [];
        },
      );
const chosen = rng.shuffle(withSiblings).slice(0, Math.min(captionCount, withSiblings.length));
const distinct = [...new Set(trainCaptions)];
const conditionsOf = chosen.map(({ caption, siblings }) => {
  const words = new Set(CaptionTokenizer.words(caption));
  const unrelated = distinct.filter((other) => CaptionTokenizer.words(other).every((word) => !words.has(word)));
  if (unrelated.length === 0)
    throw new DPOTSError(`caption sensitivity: every training caption shares a word with "${caption}"`);
  return { caption, sibling: siblings[rng.int(siblings.length)]!, unrelated: unrelated[rng.int(unrelated.length)]! };
});
const imagesOf = new Map<string, number[]>();
measured.entries.forEach((entry, index) => {
  const indices = imagesOf.get(entry.caption);
  if (indices) indices.push(index);
  else imagesOf.set(entry.caption, [index]);
});

const CONDITIONS = ['own', 'sibling', 'unrelated', 'null'] as const;
type Condition = (typeof CONDITIONS)[number];
/** errors[c][k][i]: eps-MSE of caption i's images under condition c at timesteps[k]. */
const errors = Object.fromEntries(CONDITIONS.map((c) => [c, timesteps.map(() => [] as number[])])) as Record<
  Condition,
  number[][]
>;
const started = performance.now();
for (const [i, { caption, sibling, unrelated }] of conditionsOf.entries()) {
  const picked = imagesOf.get(caption)!;
  const n = picked.length * draws;
  const images = new Float32Array(picked.length * 3072);
  picked.forEach((index, j) => {
    images.set(measured.images.subarray(index * 3072, (index + 1) * 3072), j * 3072);
  });
  const latents = tf.tidy(() =>
    tf.tile(
      tf.mul(
        autoencoder.autoencoder.encodeMean(tf.tensor4d(images, [picked.length, 32, 32, 3])),
        autoencoder.scalingFactor,
      ),
      [draws, 1, 1, 1],
    ),
  ) as tf.Tensor4D;
  // Rows: own, sibling, unrelated (each n times), then n null rows.
  const text: tf.Tensor2D = tf.tidy(() => {
    const encoded = encodeTextCondition(
      model.encoder,
      model.denoiser,
      model.tokenizer.encodeBatch([caption, sibling, unrelated], model.encoder.config.maxLength),
      3,
    );
    const rows = tf.tensor1d(
      Int32Array.from({ length: 3 * n }, (_, r) => Math.floor(r / n)),
      'int32',
    );
    return tf.concat([tf.gather(encoded, rows), model.denoiser.nullTexts(n)]);
  });
  for (const [k, t] of timesteps.entries()) {
    const perCondition = tf.tidy(() => {
      const noise = tf.tensor4d(
        Float32Array.from({ length: latents.size }, () => rng.normal()),
        latents.shape,
      );
      const noisy = addNoise(schedule, latents, new Array<number>(n).fill(t), noise);
      const eps = model.denoiser.predictNoise(tf.tile(noisy, [4, 1, 1, 1]), tf.fill([4 * n], t), text);
      // [4 * n, h, w, c] -> [4, n * h * w * c]: one mean per condition.
      return tf.mean(tf.reshape(tf.square(tf.sub(eps, tf.tile(noise, [4, 1, 1, 1]))), [4, -1]), 1);
    });
    const means = await perCondition.data();
    perCondition.dispose();
    CONDITIONS.forEach((c, j) => {
      errors[c][k]!.push(means[j]!);
    });
  }
  tf.dispose([latents, text]);
  if ((i + 1) % 64 === 0 || i + 1 === conditionsOf.length)
    console.error(
      `caption sensitivity: ${i + 1}/${conditionsOf.length} captions, ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
}
model.encoder.dispose();
model.denoiser.dispose();
autoencoder.autoencoder.dispose();

const ciOptions = { resamples: Number(values.resamples), seed };
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const increase = (c: Condition, k: number) =>
  bootstrapMeanCI(
    errors[c][k]!.map((e, i) => e / errors.own[k]![i]! - 1),
    ciOptions,
  );
const rows = timesteps.map((t, k) => ({
  t,
  epsMse: Object.fromEntries(CONDITIONS.map((c) => [c, mean(errors[c][k]!)])) as Record<Condition, number>,
  siblingIncrease: increase('sibling', k),
  unrelatedIncrease: increase('unrelated', k),
  nullIncrease: increase('null', k),
}));
// Per caption, the errors summed over the timesteps: the diffusion classifier's score.
const summed = Object.fromEntries(
  CONDITIONS.map((c) => [c, conditionsOf.map((_, i) => timesteps.reduce((sum, _t, k) => sum + errors[c][k]![i]!, 0))]),
) as Record<Condition, number[]>;
const accuracy = (c: Condition): ConfidenceInterval =>
  bootstrapMeanCI(
    summed.own.map((own, i) => (own < summed[c][i]! ? 1 : own === summed[c][i]! ? 0.5 : 0)),
    ciOptions,
  );
const result = {
  model: values.model,
  step: snapshot.step,
  captions: conditionsOf.length,
  split,
  captionsWithSiblings: withSiblings.length,
  noiseDraws: draws,
  timesteps,
  rows,
  accuracy: { sibling: accuracy('sibling'), unrelated: accuracy('unrelated'), null: accuracy('null') },
  // The captions the model tells least from their sibling (summed errors, sibling over own).
  weakest: conditionsOf
    .map((c, i) => ({ ...c, siblingOverOwn: summed.sibling[i]! / summed.own[i]! }))
    .sort((a, b) => a.siblingOverOwn - b.siblingOverOwn)
    .slice(0, 8),
};
console.log(JSON.stringify(result, null, 2));
const ci = (x: ConfidenceInterval, scale = 100, digits = 1) =>
  `${(scale * x.estimate).toFixed(digits)} [${(scale * x.low).toFixed(digits)}, ${(scale * x.high).toFixed(digits)}]`;
console.error(`
${conditionsOf.length} ${split} captions with a one-word training sibling (of ${withSiblings.length}), step ${snapshot.step}:

| t | eps-MSE own | sibling | unrelated | null | sibling increase % [95% CI] | unrelated increase % | null increase % |
|---|---|---|---|---|---|---|---|
${rows
  .map(
    (r) =>
      `| ${r.t} | ${r.epsMse.own.toFixed(4)} | ${r.epsMse.sibling.toFixed(4)} | ${r.epsMse.unrelated.toFixed(4)} | ${r.epsMse.null.toFixed(4)} | ${ci(r.siblingIncrease)} | ${ci(r.unrelatedIncrease)} | ${ci(r.nullIncrease)} |`,
  )
  .join('\n')}

Own caption's error below (diffusion-classifier accuracy, chance 0.5): the sibling's ${ci(result.accuracy.sibling, 1, 3)}, an unrelated caption's ${ci(result.accuracy.unrelated, 1, 3)}, the null caption's ${ci(result.accuracy.null, 1, 3)}.
Told least from the sibling (summed error, sibling / own): ${result.weakest.map((w) => `"${w.caption}" / "${w.sibling}" ${w.siblingOverOwn.toFixed(2)}`).join('; ')}.`);
