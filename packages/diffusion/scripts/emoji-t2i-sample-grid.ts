/**
 * A sample grid of any captions, training or held-out, as the model card draws its held-out grid:
 * one row per caption, its real Twemoji and Noto drawings (white for a caption the dataset does
 * not have), then --samples DDIM samples (eta 0, guidance --guidance, the noise of Rng(--seed) in
 * caption order). For looking at what a base does with chosen captions: training captions it
 * should draw ("up arrow"), held-out ones and their training siblings.
 *
 *   node packages/diffusion/dist/run/scripts/emoji-t2i-sample-grid.js \
 *     --captions 'up arrow|left arrow|speaker low volume|hatching chick' --out grid.png
 */
import { parseArgs } from 'node:util';
import { EMOJI_SPLIT_OPTION } from './emoji-split-option.js';
import { InvalidArgumentError } from '@dpo-ts/core';
import { NoiseSchedule, sampleCaptionImages } from '@dpo-ts/diffusion';
import { EMOJI_T2I_MODEL_OPTIONS, loadEmojiT2IScriptModel } from './emoji-t2i-model-options.js';
import { writeCaptionGrid } from './emoji-caption-grid.js';

const { values } = parseArgs({
  options: {
    ...EMOJI_SPLIT_OPTION,
    ...EMOJI_T2I_MODEL_OPTIONS,
    captions: { type: 'string' },
    out: { type: 'string' },
    samples: { type: 'string', default: '6' },
    'sampling-steps': { type: 'string', default: '50' },
    guidance: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    backend: { type: 'string', default: 'wasm' },
  },
});
if (values.captions === undefined || values.captions.trim() === '')
  throw new InvalidArgumentError('--captions', "captions separated by '|'", values.captions);
if (values.out === undefined) throw new InvalidArgumentError('--out', 'a PNG file to write', values.out);
const captions = values.captions.split('|').map((caption) => caption.trim());
const perCaption = Number(values.samples);
if (!Number.isInteger(perCaption) || perCaption < 1)
  throw new InvalidArgumentError('--samples', 'an integer >= 1', values.samples);
const { train, heldOut, snapshot } = await loadEmojiT2IScriptModel(values);
const { model, autoencoder } = snapshot;
const trained = new Set(train.entries.map((entry) => entry.caption));
const held = new Set(heldOut.entries.map((entry) => entry.caption));
const samples = await sampleCaptionImages(
  model,
  autoencoder,
  new NoiseSchedule(),
  captions.flatMap((caption) => new Array<string>(perCaption).fill(caption)),
  {
    seed: Number(values.seed),
    numSteps: Number(values['sampling-steps']),
    guidanceScale: Number(values.guidance),
    batchSize: 64,
  },
);
await writeCaptionGrid(values.out, captions, [train, heldOut], samples, perCaption);
captions.forEach((caption, row) => {
  console.log(
    `${row + 1}\t${trained.has(caption) ? 'training' : held.has(caption) ? 'held-out' : 'not an emoji caption'}\t${caption}`,
  );
});
console.error(
  `sample grid: ${captions.length} captions x ${perCaption} samples, step ${snapshot.step}, -> ${values.out}`,
);
model.encoder.dispose();
model.denoiser.dispose();
autoencoder.autoencoder.dispose();
