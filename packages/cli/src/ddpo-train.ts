import { InvalidArgumentError } from '@dpo-ts/core';
import { classLabelField, loadPromptJsonl } from '@dpo-ts/core/data';
import { DDPOTrainer } from '@dpo-ts/rlhf';
import type { CliIO } from './cli-io.js';
import { startingDenoiser } from './diffusion-train.js';
import { IMAGE_REWARD_FUNCTIONS } from './reward-functions.js';
import type { DiffusionModelSource, RunConfig } from './run-config.js';
import { displayPath, runTrainer, type CliTrainer } from './train-run.js';
import { withRunConfigFieldNames } from './training-field-errors.js';

/**
 * `dpo-ts train ddpo`: reads the conditions to sample for (`{"prompt": classLabel}` JSONL, a
 * label of the denoiser's classes per line), loads the starting denoiser and the named image
 * reward (`IMAGE_REWARD_FUNCTIONS`), builds the DDPO trainer (its config errors named
 * `training.<field>`), trains with checkpoints and saves the denoiser to `<out>/model`.
 */
export async function trainDDPO(config: RunConfig, io: CliIO, resume: boolean): Promise<void> {
  const cwd = io.cwd ?? process.cwd();
  const spec = config.reward;
  if (spec === undefined || !('function' in spec))
    throw new InvalidArgumentError('reward', '{ "function": name } for DDPO', spec);
  const reward = IMAGE_REWARD_FUNCTIONS[spec.function]!;
  // Checked field by field by the trainer's own resolve function (errors renamed `training.x`).
  const training = config.training as never;
  const start = await startingDenoiser(config.model as DiffusionModelSource, cwd);
  const { model, schedule } = start;
  let trainer: CliTrainer | undefined;
  try {
    const label = classLabelField({ numClasses: model.numClasses });
    const train = await loadPromptJsonl(config.data.train, label);
    const evalData = config.data.eval === undefined ? undefined : await loadPromptJsonl(config.data.eval, label);
    trainer = await withRunConfigFieldNames('training', config.training, () =>
      DDPOTrainer.create({ model, schedule, reward, trainDataset: train, evalDataset: evalData, config: training }),
    );
    const labels = [...new Set(train.map((r) => r.prompt))].sort((a, b) => a - b);
    io.stderr.write(
      `dpo-ts train ddpo: ${train.length} conditions (labels ${labels.join(', ')}) from ${displayPath(config.data.train, cwd)}, ` +
        `starting from ${start.description}, rewarded by ${spec.function}\n`,
    );
    await runTrainer(trainer, config, io, { resume, hasEval: evalData !== undefined });
  } finally {
    trainer?.dispose();
    model.dispose();
  }
}
