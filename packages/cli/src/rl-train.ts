import { InvalidArgumentError } from '@dpo-ts/core';
import { loadPromptJsonl, type PromptRecord } from '@dpo-ts/core/data';
import type { GPT, Tokenizer } from '@dpo-ts/lm';
import { RewardTrainer } from '@dpo-ts/reward';
import {
  GRPOTrainer,
  OnlineDPOTrainer,
  PPOTrainer,
  rewardModelScorer,
  RLOOTrainer,
  type RewardSource,
  type SavedPolicyModel,
} from '@dpo-ts/rlhf';
import type { CliIO } from './cli-io.js';
import { startingModel } from './lm-train.js';
import { LM_REWARD_FUNCTIONS } from './reward-functions.js';
import type { LMModelSource, RunConfig } from './run-config.js';
import { displayPath, runTrainer, type CliTrainer } from './train-run.js';
import { withRunConfigFieldNames } from './training-field-errors.js';

/** The reward of an lm RL run, with what to free at the end and a line saying what it is. */
interface LoadedReward {
  readonly reward: RewardSource;
  readonly description: string;
  readonly dispose: () => void;
}

async function loadReward(config: RunConfig, cwd: string): Promise<LoadedReward> {
  const spec = config.reward;
  if (spec === undefined) throw new InvalidArgumentError('reward', 'a reward for an RL run', spec);
  if ('function' in spec)
    return { reward: LM_REWARD_FUNCTIONS[spec.function]!, description: `the ${spec.function} reward`, dispose() {} };
  const saved = await RewardTrainer.load(spec.model);
  return {
    reward: rewardModelScorer(saved.model, saved.tokenizer),
    description: `the reward model in ${displayPath(spec.model, cwd)} (step ${saved.manifest.step})`,
    dispose: () => saved.model.dispose(),
  };
}

/**
 * The policy to train: a saved lm model through `PPOTrainer.load` (so a saved PPO model brings
 * its value head and critic back), else lm's starting models (base, new GPT).
 */
async function startingPolicy(
  source: LMModelSource,
  prompts: readonly PromptRecord<string>[],
  cwd: string,
): Promise<Pick<SavedPolicyModel, 'model' | 'tokenizer' | 'valueHead' | 'critic'> & { description: string }> {
  if (source.from === 'saved') {
    const saved = await PPOTrainer.load(source.dir);
    const { kind, step } = saved.manifest;
    return { ...saved, description: `the ${kind} model in ${displayPath(source.dir, cwd)} (step ${step})` };
  }
  const start = await startingModel(source, () => prompts.map((r) => r.prompt), false, cwd);
  return { ...start, valueHead: undefined, critic: undefined };
}

function createTrainer(
  config: RunConfig,
  parts: { model: GPT; tokenizer: Tokenizer; valueHead: SavedPolicyModel['valueHead']; critic: GPT | undefined },
  reward: RewardSource,
  data: { train: PromptRecord<string>[]; eval: PromptRecord<string>[] | undefined },
): Promise<CliTrainer> {
  // Checked field by field by the trainer's own resolve function (errors renamed `training.x`).
  const training = config.training as never;
  const { model, tokenizer } = parts;
  const common = { model, tokenizer, reward, trainDataset: data.train, evalDataset: data.eval, config: training };
  return withRunConfigFieldNames('training', config.training, (): Promise<CliTrainer> => {
    if (config.kind === 'ppo')
      return PPOTrainer.create({
        ...common,
        ...(parts.valueHead === undefined ? {} : { valueHead: parts.valueHead }),
        ...(parts.critic === undefined ? {} : { critic: parts.critic }),
      });
    if (config.kind === 'rloo') return RLOOTrainer.create(common);
    if (config.kind === 'grpo') return GRPOTrainer.create(common);
    if (config.kind === 'online-dpo') return OnlineDPOTrainer.create(common);
    throw new InvalidArgumentError('kind', '"ppo", "rloo", "grpo" or "online-dpo"', config.kind);
  });
}

/**
 * `dpo-ts train ppo|rloo|grpo|online-dpo`: reads the prompts (`{"prompt": ...}` JSONL), the
 * starting policy and the reward (a built-in function or a saved reward model), builds the
 * trainer (its config errors named `training.<field>`), trains with checkpoints and saves the
 * policy (with PPO's value head) to `<out>/model`. Everything loaded is disposed at the end, also
 * when the trainer refuses its config.
 */
export async function trainPolicy(config: RunConfig, io: CliIO, resume: boolean): Promise<void> {
  const cwd = io.cwd ?? process.cwd();
  const train = await loadPromptJsonl(config.data.train);
  const evalData = config.data.eval === undefined ? undefined : await loadPromptJsonl(config.data.eval);
  const reward = await loadReward(config, cwd);
  const owned: { dispose(): void }[] = [reward];
  let trainer: CliTrainer | undefined;
  try {
    const start = await startingPolicy(config.model as LMModelSource, train, cwd);
    owned.push(start.model, ...[start.valueHead, start.critic].filter((part) => part !== undefined));
    trainer = await createTrainer(config, start, reward.reward, { train, eval: evalData });
    const evalCount =
      config.data.eval === undefined ? '' : ` (+ evaluation prompts ${displayPath(config.data.eval, cwd)})`;
    io.stderr.write(
      `dpo-ts train ${config.kind}: ${train.length} prompts from ${displayPath(config.data.train, cwd)}${evalCount}, ` +
        `starting from ${start.description}, scored by ${reward.description}\n`,
    );
    await runTrainer(trainer, config, io, { resume, hasEval: evalData !== undefined });
  } finally {
    trainer?.dispose();
    for (const object of owned) object.dispose();
  }
}
