import { InvalidArgumentError } from '@dpo-ts/core';
import {
  createDenoiser,
  type Denoiser,
  DiffusionDPOTrainer,
  DiffusionSFTTrainer,
  loadDenoiser,
  loadImagePreferenceJsonl,
  MNIST_MLP_CHECKPOINT,
  NoiseSchedule,
  preferredImages,
} from '@dpo-ts/diffusion';
import type { CliIO } from './cli-io.js';
import type { DiffusionModelSource, RunConfig } from './run-config.js';
import { displayPath, runTrainer, type CliTrainer } from './train-run.js';
import { withRunConfigFieldNames } from './training-field-errors.js';

/**
 * The denoiser a run starts from (`model` of the run config): the committed MNIST model, a saved
 * diffusion model or a new denoiser, with its noise schedule. The caller disposes the model.
 */
export async function startingDenoiser(
  source: DiffusionModelSource,
  cwd: string,
): Promise<{ model: Denoiser; schedule: NoiseSchedule; description: string }> {
  if (source.from === 'mnist') {
    return {
      model: await loadDenoiser(MNIST_MLP_CHECKPOINT),
      schedule: new NoiseSchedule(),
      description: 'the committed MNIST model (28x28, 10 digit classes)',
    };
  }
  if (source.from === 'saved') {
    const saved = await DiffusionDPOTrainer.load(source.dir);
    return {
      ...saved,
      description: `the ${saved.manifest.kind} model in ${displayPath(source.dir, cwd)} (step ${saved.manifest.step})`,
    };
  }
  const schedule = await withRunConfigFieldNames(
    'model.schedule',
    source.schedule,
    () => new NoiseSchedule(source.schedule),
  );
  const model = await withRunConfigFieldNames('model.config', source.config, () =>
    createDenoiser(source.denoiser, source.config),
  );
  return { model, schedule, description: `a new ${source.denoiser} denoiser` };
}

/**
 * `dpo-ts train diffusion-dpo|diffusion-sft`: reads the Pick-a-Pic-style JSONL (a class label
 * prompt and PNG chosen/rejected images of the denoiser's shape), loads the starting denoiser,
 * builds the trainer (Diffusion-SFT trains on the chosen images: the SFT-on-winners baseline),
 * trains with checkpoints and saves the model.
 */
export async function trainDiffusionModel(config: RunConfig, io: CliIO, resume: boolean): Promise<void> {
  const cwd = io.cwd ?? process.cwd();
  // Checked field by field by the trainer's own resolve function (errors renamed `training.x`).
  const training = config.training as never;
  const start = await startingDenoiser(config.model as DiffusionModelSource, cwd);
  const { model, schedule } = start;
  let trainer: CliTrainer | undefined;
  try {
    const options = { numClasses: model.numClasses };
    const train = await loadImagePreferenceJsonl(config.data.train, model.imageShape, options);
    const evalData =
      config.data.eval === undefined
        ? undefined
        : await loadImagePreferenceJsonl(config.data.eval, model.imageShape, options);
    if (config.kind === 'diffusion-dpo') {
      trainer = await withRunConfigFieldNames('training', config.training, () =>
        DiffusionDPOTrainer.create({ model, schedule, trainDataset: train, evalDataset: evalData, config: training }),
      );
    } else if (config.kind === 'diffusion-sft') {
      trainer = await withRunConfigFieldNames('training', config.training, () =>
        DiffusionSFTTrainer.create({
          model,
          schedule,
          trainDataset: preferredImages(train, model.numClasses),
          evalDataset: evalData === undefined ? undefined : preferredImages(evalData, model.numClasses),
          config: training,
        }),
      );
    } else {
      throw new InvalidArgumentError('kind', '"diffusion-sft" or "diffusion-dpo"', config.kind);
    }
    const [h, w, c] = model.imageShape;
    io.stderr.write(
      `dpo-ts train ${config.kind}: ${train.count} image pairs (${h}x${w}x${c}) from ${displayPath(config.data.train, cwd)}, starting from ${start.description}\n`,
    );
    await runTrainer(trainer, config, io, { resume, hasEval: evalData !== undefined });
  } finally {
    trainer?.dispose();
    model.dispose();
  }
}
