/**
 * Rewrites a saved text-to-image model with float16 weights (core's named-weights
 * `storage: 'float16'`): `weights.bin` (and `autoencoder.bin` in a trainer's saved model) at half
 * the bytes, every other file of the folder (`config.json`, `training.json`, `samples.png`,
 * `MODEL_CARD.md`, ...) copied unchanged. The output is written atomically, then read back with
 * `loadTextToImageModel` to check it loads; prints one JSON object: sizes before and after and
 * the largest relative weight error, |half - float| / max(|float|, 2^-14) (at most 2^-11).
 *
 *   node packages/diffusion/dist/run/scripts/compact-text-to-image-model.js --in DIR --out DIR
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type BackendRequest, selectBackend } from '@dpo-ts/core/backend';
import {
  DEFAULT_NAMED_WEIGHTS_FILES,
  encodeNamedWeights,
  formatJsonFile,
  loadNamedWeights,
  writeDirectoryAtomic,
} from '@dpo-ts/core/io';
import { loadTextToImageModel, TEXT_TO_IMAGE_AUTOENCODER_FILES } from '@dpo-ts/diffusion';
import * as tf from '@tensorflow/tfjs-core';

const { values } = parseArgs({
  options: {
    in: { type: 'string' },
    out: { type: 'string' },
    backend: { type: 'string', default: 'cpu' },
  },
});
if (values.in === undefined || values.out === undefined) {
  console.error('usage: compact-text-to-image-model --in <saved model dir> --out <dir> [--backend cpu]');
  process.exit(2);
}
const input = values.in;
const output = values.out;
await selectBackend({ backend: values.backend as BackendRequest });

const names = await readdir(input);
const files: Record<string, string | Uint8Array> = {};
for (const name of names) {
  if (!(await stat(join(input, name))).isFile())
    throw new Error(`${join(input, name)}: not a file; only flat model folders`);
  files[name] = await readFile(join(input, name));
}
// The networks' weights, and the autoencoder's when the folder is a trainer's saved model.
const pairs = [DEFAULT_NAMED_WEIGHTS_FILES, TEXT_TO_IMAGE_AUTOENCODER_FILES].filter((pair) =>
  names.includes(pair.manifest),
);
if (pairs.length === 0) throw new Error(`${input}: no ${DEFAULT_NAMED_WEIGHTS_FILES.manifest}`);
const originals = [];
for (const pair of pairs) {
  const { weights } = await loadNamedWeights(input, pair);
  originals.push(weights);
  const tensors = new Map([...weights].map(([name, data]) => [name, tf.tensor(data.values, [...data.shape])]));
  try {
    const { manifest, data } = await encodeNamedWeights(tensors, { storage: 'float16' });
    files[pair.manifest] = formatJsonFile(manifest);
    files[pair.weights] = data;
  } finally {
    tf.dispose([...tensors.values()]);
  }
}
await writeDirectoryAtomic(output, files);

// Read back what was written: the same loader every user of the model goes through.
const model = await loadTextToImageModel(output);
model.encoder.dispose();
model.denoiser.dispose();
let maxRelativeError = 0;
let worst = '';
for (const [index, pair] of pairs.entries()) {
  const { weights } = await loadNamedWeights(output, pair);
  for (const [name, original] of originals[index]!) {
    const restored = weights.get(name)!.values;
    original.values.forEach((value, i) => {
      const error = Math.abs(restored[i]! - value) / Math.max(Math.abs(value), 2 ** -14);
      if (error > maxRelativeError) [maxRelativeError, worst] = [error, `${name}[${i}]`];
    });
  }
}
const bytes = async (dir: string, list: readonly string[]): Promise<number> =>
  (await Promise.all(list.map(async (name) => (await stat(join(dir, name))).size))).reduce((a, b) => a + b, 0);
const weightFiles = pairs.map((pair) => pair.weights);
console.log(
  JSON.stringify(
    {
      in: input,
      out: output,
      weightFiles,
      weightBytes: { before: await bytes(input, weightFiles), after: await bytes(output, weightFiles) },
      folderBytes: { before: await bytes(input, names), after: await bytes(output, names) },
      maxRelativeError,
      maxRelativeErrorIn: worst,
      bound: 2 ** -11,
    },
    null,
    2,
  ),
);
