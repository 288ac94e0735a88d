/**
 * Is a text-to-image base underfit or overfit? Its captioned denoising error on training emoji
 * against held-out emoji, per timestep, with the same noise draws and timesteps for both:
 *
 *   eps-MSE(t) = mean (e - eps_theta(sqrt(abar_t) z_0 + sqrt(1 - abar_t) e, t, c))^2
 *   x0-MSE(t)  = eps-MSE(t) (1 - abar_t) / abar_t (the error of the implied clean latent)
 *
 * over --images random images of each split (both vendors; the caption as trained, no
 * dropout). Training error falling while held-out error stays is overfitting; both falling
 * together is underfitting. Prints one JSON object on stdout (so `> gap.json` is valid JSON) and
 * the same rows as a Markdown table on stderr; about 30 s per model.
 *
 *   node packages/diffusion/dist/run/scripts/emoji-t2i-denoising-gap.js \
 *     --model packages/diffusion/checkpoints/emoji-t2i-unet \
 *     --autoencoder packages/diffusion/checkpoints/emoji-autoencoder-se
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { EMOJI_SPLIT_OPTION } from './emoji-split-option.js';
import { InvalidArgumentError } from '@dpo-ts/core';
import { Rng } from '@dpo-ts/core/training';
import { addNoise, NoiseSchedule, type EmojiDataset, encodeTextCondition } from '@dpo-ts/diffusion';
import { EMOJI_T2I_MODEL_OPTIONS, loadEmojiT2IScriptModel, parseTimestepList } from './emoji-t2i-model-options.js';

const { values } = parseArgs({
  options: {
    ...EMOJI_SPLIT_OPTION,
    ...EMOJI_T2I_MODEL_OPTIONS,
    images: { type: 'string', default: '256' },
    timesteps: { type: 'string', default: '25,100,250,500,750,950' },
    seed: { type: 'string', default: '5' },
    backend: { type: 'string', default: 'wasm' },
  },
});
const count = Number(values.images);
if (!Number.isInteger(count) || count < 1) throw new InvalidArgumentError('--images', 'an integer >= 1', values.images);
const schedule = new NoiseSchedule();
const timesteps = parseTimestepList(values.timesteps, schedule.numTimesteps);
const { train, heldOut, snapshot } = await loadEmojiT2IScriptModel(values);
const { model, autoencoder } = snapshot;

/** eps-MSE per timestep on `count` images of `dataset` drawn with a fresh Rng(seed) (same draws for both splits). */
async function denoisingErrors(dataset: EmojiDataset): Promise<number[]> {
  const rng = new Rng(Number(values.seed));
  const picked = Array.from({ length: count }, () => rng.int(dataset.count));
  const images = new Float32Array(count * 3072);
  picked.forEach((index, i) => {
    images.set(dataset.images.subarray(index * 3072, (index + 1) * 3072), i * 3072);
  });
  const tokenIds = model.tokenizer.encodeBatch(
    picked.map((index) => dataset.entries[index]!.caption),
    model.encoder.config.maxLength,
  );
  const latents: tf.Tensor4D = tf.tidy(() =>
    tf.mul(autoencoder.autoencoder.encodeMean(tf.tensor4d(images, [count, 32, 32, 3])), autoencoder.scalingFactor),
  );
  // The caption embeddings once per split: they do not depend on t.
  const condition = encodeTextCondition(model.encoder, model.denoiser, tokenIds, count);
  const errors: number[] = [];
  for (const t of timesteps) {
    const mse = tf.tidy(() => {
      const noise = tf.tensor4d(
        Float32Array.from({ length: latents.size }, () => rng.normal()),
        latents.shape,
      );
      const noisy = addNoise(schedule, latents, new Array<number>(count).fill(t), noise);
      return tf.mean(tf.square(tf.sub(noise, model.denoiser.predictNoise(noisy, tf.fill([count], t), condition))));
    });
    errors.push((await mse.data())[0]!);
    mse.dispose();
  }
  tf.dispose([latents, condition]);
  return errors;
}

const trainErrors = await denoisingErrors(train);
const heldOutErrors = await denoisingErrors(heldOut);
const rows = timesteps.map((t, k) => {
  const abar = schedule.alphasCumprod[t]!;
  const toX0 = (1 - abar) / abar;
  return {
    t,
    snr: abar / (1 - abar),
    trainEpsMse: trainErrors[k]!,
    heldOutEpsMse: heldOutErrors[k]!,
    trainX0Mse: trainErrors[k]! * toX0,
    heldOutX0Mse: heldOutErrors[k]! * toX0,
    heldOutOverTrain: heldOutErrors[k]! / trainErrors[k]!,
  };
});
console.log(JSON.stringify({ model: values.model, step: snapshot.step, images: count, rows }, null, 2));
console.error(`
| t | SNR | eps-MSE train | eps-MSE held-out | x0-MSE train | x0-MSE held-out | held-out / train |
|---|---|---|---|---|---|---|
${rows
  .map(
    (r) =>
      `| ${r.t} | ${r.snr.toPrecision(3)} | ${r.trainEpsMse.toFixed(4)} | ${r.heldOutEpsMse.toFixed(4)} | ${r.trainX0Mse.toFixed(4)} | ${r.heldOutX0Mse.toFixed(4)} | ${r.heldOutOverTrain.toFixed(2)} |`,
  )
  .join('\n')}`);
model.encoder.dispose();
model.denoiser.dispose();
autoencoder.autoencoder.dispose();
