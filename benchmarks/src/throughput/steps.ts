import { Rng } from '@dpo-ts/core/training';
import { DiffusionDPOTrainer, MLPDenoiser, NoiseSchedule, type ImagePreferenceDataset } from '@dpo-ts/diffusion';
import { CharTokenizer, DPOTrainer, GPT, SFTTrainer } from '@dpo-ts/lm';
import { PPOTrainer } from '@dpo-ts/rlhf';
import { makeDdpoStep } from './ddpo-step.js';
import { diffusionDpoStepFlops, dpoStepFlops, ppoUpdateFlops, sftStepFlops } from './flops.js';
import type { ThroughputSizes, ThroughputStepName } from './sizes.js';
import { type ParallelStepOptions, type ThroughputStep, parallelConfig, trainWith } from './throughput-step.js';

export type { ParallelStepOptions, ThroughputStep } from './throughput-step.js';

// 92 printable ASCII characters + 4 special tokens = vocabulary 96, as the notes' model.
const ALPHABET = Array.from({ length: 92 }, (_, i) => String.fromCharCode(32 + i)).join('');

function randomText(rng: Rng, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += ALPHABET[rng.int(ALPHABET.length)];
  return text;
}

function gpt(sizes: ThroughputSizes, tokenizer: CharTokenizer): GPT {
  const { vocabSize: _fixed, ...shape } = sizes.gpt;
  return new GPT({ ...shape, vocabSize: tokenizer.vocabSize, seed: 0 });
}

const tokenizer = () => CharTokenizer.fromCorpus(ALPHABET);

/**
 * lm's DPOTrainer with a frozen reference (TRL's default): `dpoPairs` pairs whose rows fill the
 * context exactly ([BOS] prompt completion [EOS]; the prompt a quarter of the row).
 */
export async function makeDpoStep(sizes: ThroughputSizes, parallel?: ParallelStepOptions): Promise<ThroughputStep> {
  const rng = new Rng(1);
  const context = sizes.gpt.contextLength;
  const promptLength = Math.floor(context / 4);
  const completionLength = context - promptLength - 2;
  const pairs = Array.from({ length: sizes.dpoPairs * 4 }, () => ({
    prompt: randomText(rng, promptLength),
    chosen: randomText(rng, completionLength),
    rejected: randomText(rng, completionLength),
  }));
  const chars = tokenizer();
  const model = gpt(sizes, chars);
  const trainer = await DPOTrainer.create({
    model,
    tokenizer: chars,
    trainDataset: pairs,
    config: {
      totalSteps: 10_000,
      beta: 0.1,
      learningRate: 1e-4,
      perDeviceTrainBatchSize: sizes.dpoPairs,
      ...parallelConfig(parallel, sizes.dpoPairs),
    },
  });
  return {
    name: 'dpo',
    label: `DPO step (lm DPOTrainer, frozen reference), ${sizes.dpoPairs} pairs`,
    unit: 'tokens',
    units: 2 * sizes.dpoPairs * context,
    pairs: sizes.dpoPairs,
    flops: dpoStepFlops(sizes.gpt, sizes.dpoPairs),
    parameters: model.numParameters(),
    run: (index) => trainer.trainStep(trainer.batchesForStep(index), index),
    train: trainWith(trainer),
    dispose: () => {
      trainer.dispose();
      model.dispose();
    },
  };
}

/** lm's SFTTrainer: `sftRows` texts of exactly `contextLength` tokens with BOS and EOS. */
export async function makeSftStep(sizes: ThroughputSizes, parallel?: ParallelStepOptions): Promise<ThroughputStep> {
  const rng = new Rng(2);
  const context = sizes.gpt.contextLength;
  const records = Array.from({ length: sizes.sftRows * 4 }, () => ({ text: randomText(rng, context - 2) }));
  const chars = tokenizer();
  const model = gpt(sizes, chars);
  const trainer = await SFTTrainer.create({
    model,
    tokenizer: chars,
    trainDataset: records,
    config: {
      totalSteps: 10_000,
      learningRate: 1e-3,
      perDeviceTrainBatchSize: sizes.sftRows,
      ...parallelConfig(parallel, sizes.sftRows),
    },
  });
  return {
    name: 'sft',
    label: `SFT step (lm SFTTrainer), ${sizes.sftRows} rows`,
    unit: 'tokens',
    units: sizes.sftRows * context,
    flops: sftStepFlops(sizes.gpt, sizes.sftRows),
    parameters: model.numParameters(),
    run: (index) => trainer.trainStep(trainer.batchesForStep(index), index),
    train: trainWith(trainer),
    dispose: () => {
      trainer.dispose();
      model.dispose();
    },
  };
}

/**
 * One update of rlhf's PPOTrainer (rollout of `responseLength` tokens without EOS stopping,
 * scoring by a plain function, reference and value passes, `numPpoEpochs` AdamW steps), value
 * head on the policy. `units` counts sampled tokens. With `parallel`, each minibatch is split into
 * `microBatches` micro-batches and `train()` runs `workers` gradient threads and as many
 * sampling threads (`samplingWorkers`).
 */
export async function makePpoStep(sizes: ThroughputSizes, parallel?: ParallelStepOptions): Promise<ThroughputStep> {
  const { ppo } = sizes;
  const rng = new Rng(3);
  const prompts = Array.from({ length: ppo.batchSize * 4 }, () => randomText(rng, ppo.promptLength));
  const chars = tokenizer();
  const policy = gpt(sizes, chars);
  const trainer = await PPOTrainer.create({
    policy,
    tokenizer: chars,
    prompts,
    reward: (_prompt: string, completion: string) => completion.split('a').length - 1,
    config: {
      totalSteps: 10_000,
      batchSize: ppo.batchSize,
      responseLength: ppo.responseLength,
      numPpoEpochs: ppo.numPpoEpochs,
      stopAtEos: false,
      learningRate: 1e-5,
      ...(parallel === undefined
        ? {}
        : {
            totalSteps: parallel.totalSteps,
            gradientAccumulationSteps: parallel.microBatches,
            workers: parallel.workers,
            samplingWorkers: parallel.workers,
          }),
    },
  });
  return {
    name: 'ppo',
    label: `PPO update (rlhf PPOTrainer), ${ppo.batchSize} rollouts x ${ppo.responseLength} tokens, ${ppo.numPpoEpochs} PPO epochs`,
    unit: 'tokens',
    units: ppo.batchSize * ppo.responseLength,
    flops: ppoUpdateFlops(sizes.gpt, ppo),
    parameters: policy.numParameters(),
    run: (index) => trainer.trainStep(index),
    train: trainWith(trainer),
    dispose: () => {
      trainer.dispose();
      policy.dispose();
    },
  };
}

/** Random preference pairs of MNIST-shaped images in [-1, 1] (speed does not depend on content). */
function randomImagePairs(count: number, seed: number): ImagePreferenceDataset {
  const rng = new Rng(seed);
  const size = count * 28 * 28;
  const image = () => Float32Array.from({ length: size }, () => rng.uniform() * 2 - 1);
  return {
    chosen: image(),
    rejected: image(),
    labels: Int32Array.from({ length: count }, () => rng.int(10)),
    count,
    imageShape: [28, 28, 1],
  };
}

/** diffusion's DiffusionDPOTrainer, MLP denoiser (MNIST-sized), frozen reference, `pairs` pairs per step. */
export async function makeDiffusionDpoStep(
  sizes: ThroughputSizes,
  pairs: number,
  parallel?: ParallelStepOptions,
): Promise<ThroughputStep> {
  const model = new MLPDenoiser({ hiddenSize: sizes.diffusion.hiddenSize, numLayers: sizes.diffusion.numLayers });
  const trainer = await DiffusionDPOTrainer.create({
    model,
    schedule: new NoiseSchedule(),
    trainDataset: randomImagePairs(pairs * 4, pairs),
    config: { totalSteps: 10_000, perDeviceTrainBatchSize: pairs, ...parallelConfig(parallel, pairs) },
  });
  let denseMultiplyAdds = 0;
  for (const [name, variable] of model.namedVariables())
    if (name.endsWith('.kernel')) denseMultiplyAdds += variable.size;
  return {
    name: 'diffusion-dpo',
    label: `Diffusion-DPO step (MLP denoiser ${model.parameterCount().toLocaleString('en-US')} weights, frozen reference), ${pairs} pairs`,
    unit: 'images',
    units: 2 * pairs,
    pairs,
    flops: diffusionDpoStepFlops(denseMultiplyAdds, pairs),
    parameters: model.parameterCount(),
    run: (index) => trainer.trainStep(trainer.batchesForStep(index), index),
    train: trainWith(trainer),
    dispose: () => {
      trainer.dispose();
      model.dispose();
    },
  };
}

/**
 * Builders of the steps of the 1-vs-N-workers table, each split into `sizes.microBatches`
 * micro-batches (PPO: per minibatch; DDPO: one per trained timestep); the diffusion step at its
 * largest batch. DDPO is measured here only (its update is what runs on the gradient engine).
 */
export function parallelStepBuilders(
  sizes: ThroughputSizes,
  options: Omit<ParallelStepOptions, 'microBatches'>,
): { readonly name: ThroughputStepName; readonly build: () => Promise<ThroughputStep> }[] {
  const parallel = { ...options, microBatches: sizes.microBatches };
  return [
    { name: 'dpo', build: () => makeDpoStep(sizes, parallel) },
    { name: 'sft', build: () => makeSftStep(sizes, parallel) },
    { name: 'ppo', build: () => makePpoStep(sizes, parallel) },
    {
      name: 'diffusion-dpo',
      build: () => makeDiffusionDpoStep(sizes, Math.max(...sizes.diffusion.batches), parallel),
    },
    { name: 'ddpo', build: () => makeDdpoStep(sizes, parallel) },
  ];
}

/** Builders of every step of a mode, in report order (the diffusion step once per batch size). */
export function stepBuilders(
  sizes: ThroughputSizes,
): { readonly name: ThroughputStepName; readonly build: () => Promise<ThroughputStep> }[] {
  return [
    { name: 'dpo', build: () => makeDpoStep(sizes) },
    { name: 'sft', build: () => makeSftStep(sizes) },
    { name: 'ppo', build: () => makePpoStep(sizes) },
    ...sizes.diffusion.batches.map((pairs) => ({
      name: 'diffusion-dpo' as const,
      build: () => makeDiffusionDpoStep(sizes, pairs),
    })),
  ];
}
