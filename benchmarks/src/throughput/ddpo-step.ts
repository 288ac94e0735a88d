import { MLPDenoiser, NoiseSchedule, type ImageReward } from '@dpo-ts/diffusion';
import { DDPOTrainer } from '@dpo-ts/rlhf';
import { ddpoUpdateFlops } from './flops.js';
import type { ThroughputSizes } from './sizes.js';
import { type ParallelStepOptions, type ThroughputStep, trainWith } from './throughput-step.js';

/** Mean brightness: any cheap image reward will do, speed does not depend on it. */
const brightness: ImageReward = (image) => {
  const data = (image as { data: Float32Array }).data;
  return data.reduce((sum, value) => sum + value, 0) / data.length;
};

/** DDIM steps per trajectory for each micro-batch of the update: 20% of a trajectory's steps are trained on. */
const STEPS_PER_TRAINED_TIMESTEP = 5;

/**
 * One step of rlhf's DDPOTrainer on the Diffusion-DPO step's MLP denoiser (MNIST-sized images,
 * 10 classes, classifier-free guidance 5, no KL term): sample `ppo.batchSize` trajectories of
 * `5 x microBatches` DDIM steps, then one AdamW update on all of them over `microBatches` of
 * their timesteps (`timestepFraction` 0.2), each timestep one micro-batch, as DDPO accumulates.
 * With `parallel`, `train()` runs the update on `workers` gradient threads (core's engine) and
 * the sampling on as many sampling threads (`samplingWorkers`). `units` counts trajectories.
 */
export async function makeDdpoStep(sizes: ThroughputSizes, parallel?: ParallelStepOptions): Promise<ThroughputStep> {
  const trajectories = sizes.ppo.batchSize;
  const numSteps = STEPS_PER_TRAINED_TIMESTEP * sizes.microBatches;
  const model = new MLPDenoiser({ hiddenSize: sizes.diffusion.hiddenSize, numLayers: sizes.diffusion.numLayers });
  const trainer = await DDPOTrainer.create({
    model,
    schedule: new NoiseSchedule(),
    reward: brightness,
    trainDataset: Array.from({ length: 10 }, (_, prompt) => ({ prompt })),
    config: {
      totalSteps: parallel?.totalSteps ?? 10_000,
      samplesPerStep: trajectories,
      sampleBatchSize: trajectories,
      trainBatchSize: trajectories,
      numSteps,
      timestepFraction: 1 / STEPS_PER_TRAINED_TIMESTEP,
      perPromptStatTracking: false,
      ...(parallel === undefined ? {} : { workers: parallel.workers, samplingWorkers: parallel.workers }),
    },
  });
  let denseMultiplyAdds = 0;
  for (const [name, variable] of model.namedVariables())
    if (name.endsWith('.kernel')) denseMultiplyAdds += variable.size;
  return {
    name: 'ddpo',
    label: `DDPO update (rlhf DDPOTrainer, MLP denoiser), ${trajectories} trajectories x ${numSteps} steps`,
    unit: 'images',
    units: trajectories,
    flops: ddpoUpdateFlops(denseMultiplyAdds, trajectories, numSteps, sizes.microBatches),
    parameters: model.parameterCount(),
    run: (index) => trainer.trainStep(index),
    train: trainWith(trainer),
    dispose: () => {
      trainer.dispose();
      model.dispose();
    },
  };
}
