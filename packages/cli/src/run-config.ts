import { isAbsolute, resolve } from 'node:path';
import { InvalidArgumentError } from '@dpo-ts/core';
import { closestName } from './closest-name.js';

/** The trainers `dpo-ts train <kind>` knows, under the checkpoints' `trainer` names. */
export const TRAIN_KINDS = [
  'sft',
  'dpo',
  'reward',
  'ppo',
  'rloo',
  'grpo',
  'online-dpo',
  'diffusion-sft',
  'diffusion-dpo',
  'ddpo',
] as const;

/** One of {@link TRAIN_KINDS}. */
export type TrainKind = (typeof TRAIN_KINDS)[number];

/** The model package of each trainer kind. */
export const MODALITY_OF_KIND = Object.freeze({
  /** Supervised fine-tuning of a GPT (lm's `SFTTrainer`). */
  sft: 'lm',
  /** DPO and its loss variants on a GPT (lm's `DPOTrainer`). */
  dpo: 'lm',
  /** A Bradley-Terry reward model on a GPT backbone (reward's `RewardTrainer`). */
  reward: 'reward',
  /** PPO on a GPT policy (rlhf's `PPOTrainer`). */
  ppo: 'lm',
  /** RLOO on a GPT policy (rlhf's `RLOOTrainer`). */
  rloo: 'lm',
  /** GRPO on a GPT policy (rlhf's `GRPOTrainer`). */
  grpo: 'lm',
  /** Online DPO on a GPT policy (rlhf's `OnlineDPOTrainer`). */
  'online-dpo': 'lm',
  /** Supervised denoising of a denoiser (diffusion's `DiffusionSFTTrainer`). */
  'diffusion-sft': 'diffusion',
  /** Diffusion-DPO on a denoiser (diffusion's `DiffusionDPOTrainer`). */
  'diffusion-dpo': 'diffusion',
  /** DDPO on a denoiser (rlhf's `DDPOTrainer`). */
  ddpo: 'diffusion',
} as const satisfies Record<TrainKind, string>);

/** The RL trainers: they sample from the model and learn from a `reward` the run config names. */
export const RL_KINDS: readonly TrainKind[] = Object.freeze(['ppo', 'rloo', 'grpo', 'online-dpo', 'ddpo']);

/**
 * What scores the samples of an RL run: a built-in function by name (the CLI's
 * `LM_REWARD_FUNCTIONS`, or `IMAGE_REWARD_FUNCTIONS` for DDPO), or, for the language-model
 * kinds, a reward model directory written by `dpo-ts train reward` (`<out>/model`).
 */
export type RewardSpec =
  | {
      /** A built-in reward function's name, one of the names the CLI passes as `rewardFunctions`. */
      readonly function: string;
    }
  | {
      /** A saved reward model's directory, absolute once parsed (language-model kinds only). */
      readonly model: string;
    };

/**
 * Where a language model (or a reward model's backbone) starts: `@dpo-ts/lm`'s committed base
 * (`loadBaseModel()`, or another base-model folder `dir`), a directory a trainer's `save(dir)`
 * wrote, or a fresh GPT (`gpt`: GPTConfig fields; a character tokenizer is built from the
 * training texts).
 */
export type LMModelSource =
  | {
      /** Start from a base model (lm's `loadBaseModel`). */
      readonly from: 'base';
      /** The base-model folder, absolute once parsed. @defaultValue lm's committed base model */
      readonly dir?: string;
    }
  | {
      /** Start from a model a trainer's `save(dir)` wrote. */
      readonly from: 'saved';
      /** That directory, absolute once parsed. */
      readonly dir: string;
    }
  | {
      /** Start from a fresh, randomly initialised GPT. */
      readonly from: 'new';
      /** `GPTConfig` fields (`vocabSize` comes from the character tokenizer); checked by `GPT`. @defaultValue `{}` (GPT's defaults) */
      readonly gpt: Readonly<Record<string, unknown>>;
    };

/**
 * Where a denoiser starts: `@dpo-ts/diffusion`'s committed MNIST model (`MNIST_MLP_CHECKPOINT`
 * with the default noise schedule), a directory a trainer's `save(dir)` wrote, or a fresh
 * denoiser (`denoiser`: `'mlp'` or `'unet'`, its `config`, and the noise `schedule`'s config).
 */
export type DiffusionModelSource =
  | {
      /** Start from the committed MNIST denoiser, with the default noise schedule. */
      readonly from: 'mnist';
    }
  | {
      /** Start from a model a diffusion trainer's `save(dir)` wrote (with its schedule). */
      readonly from: 'saved';
      /** That directory, absolute once parsed. */
      readonly dir: string;
    }
  | {
      /** Start from a fresh denoiser (diffusion's `createDenoiser`). */
      readonly from: 'new';
      /** The architecture. @defaultValue `'mlp'` */
      readonly denoiser: 'mlp' | 'unet';
      /** `MLPDenoiserConfig` or `UNetConfig` fields, checked by the denoiser. @defaultValue `{}` (its defaults) */
      readonly config: Readonly<Record<string, unknown>>;
      /** `NoiseScheduleConfig` fields, checked by `NoiseSchedule`. @defaultValue `{}` (its defaults) */
      readonly schedule: Readonly<Record<string, unknown>>;
    };

/** A validated `run.json`, paths made absolute against the config file's folder. */
export interface RunConfig {
  /** The trainer (`dpo-ts train <kind>`), from the command line, not the file. */
  readonly kind: TrainKind;
  /** Where the model starts: {@link DiffusionModelSource} for the diffusion kinds, {@link LMModelSource} for the others. */
  readonly model: LMModelSource | DiffusionModelSource;
  /** Training and (optional) evaluation data files: JSONL (`{prompt, chosen, rejected}`, ...). */
  readonly data: {
    /** The training data file, absolute once parsed. */
    readonly train: string;
    /** The evaluation data file, absolute once parsed. @defaultValue none (no evaluation) */
    readonly eval?: string;
  };
  /** The trainer's config (`totalSteps`, `learningRate`, `beta`, ...), validated by the trainer. */
  readonly training: Readonly<Record<string, unknown>>;
  /** The run's folder: `checkpoints/` and, at the end, `model/`. */
  readonly out: string;
  /** The reward of an RL run (`ppo`, `rloo`, `grpo`, `online-dpo`, `ddpo`); absent for the others. */
  readonly reward?: RewardSpec;
}

/** Where {@link parseRunConfig} resolves relative paths. */
export interface ParseRunConfigOptions {
  /** The trainer the run uses. */
  readonly kind: TrainKind;
  /** Folder relative paths in the config start from (the config file's). */
  readonly baseDir: string;
  /** `--out`, relative to the working directory; replaces the config's `out`. */
  readonly out?: string;
  /** The working directory. @defaultValue process.cwd() */
  readonly cwd?: string;
  /** The reward function names an RL run may use. @defaultValue none (only for non-RL kinds) */
  readonly rewardFunctions?: readonly string[];
}

const TOP_LEVEL_FIELDS = ['model', 'data', 'training', 'out'] as const;
const RL_TOP_LEVEL_FIELDS = [...TOP_LEVEL_FIELDS, 'reward'] as const;
const DATA_FIELDS = ['train', 'eval'] as const;
const LM_SOURCE_FIELDS: Readonly<Record<string, readonly string[]>> = {
  base: ['from', 'dir'],
  saved: ['from', 'dir'],
  new: ['from', 'gpt'],
};
const DIFFUSION_SOURCE_FIELDS: Readonly<Record<string, readonly string[]>> = {
  mnist: ['from'],
  saved: ['from', 'dir'],
  new: ['from', 'denoiser', 'config', 'schedule'],
};

/**
 * Refuses fields of `value` that are not in `known`, naming the field and the closest known name.
 * @throws InvalidArgumentError `model.dirr must be absent (not a field of ...; known: from, dir): got "x" (did you mean "dir"?)`.
 */
export function refuseUnknownFields(path: string, value: object, known: readonly string[], what: string): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const suggestion = closestName(key, known);
    throw new InvalidArgumentError(
      path === '' ? key : `${path}.${key}`,
      `absent (not a field of ${what}; known: ${known.join(', ')})`,
      (value as Record<string, unknown>)[key],
      suggestion === undefined ? undefined : `did you mean "${suggestion}"?`,
    );
  }
}

function requireObject(path: string, value: unknown, expected = 'an object'): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new InvalidArgumentError(path, expected, value);
  return value as Record<string, unknown>;
}

function requirePath(path: string, value: unknown, baseDir: string): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new InvalidArgumentError(path, 'a non-empty path (relative to the config file)', value);
  return isAbsolute(value) ? value : resolve(baseDir, value);
}

function requireOneOf<T extends string>(path: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  const suggestion = typeof value === 'string' ? closestName(value, allowed) : undefined;
  throw new InvalidArgumentError(
    path,
    `one of ${allowed.map((name) => `"${name}"`).join(', ')}`,
    value,
    suggestion === undefined ? undefined : `did you mean "${suggestion}"?`,
  );
}

function parseModelSource(value: unknown, kind: TrainKind, baseDir: string): LMModelSource | DiffusionModelSource {
  const diffusion = MODALITY_OF_KIND[kind] === 'diffusion';
  const fields = diffusion ? DIFFUSION_SOURCE_FIELDS : LM_SOURCE_FIELDS;
  const source = requireObject(
    'model',
    value,
    `an object { "from": ${Object.keys(fields)
      .map((f) => `"${f}"`)
      .join(' | ')}, ... }`,
  );
  const from = requireOneOf('model.from', source.from, Object.keys(fields));
  refuseUnknownFields('model', source, fields[from]!, `a "${from}" model source`);
  if (from === 'saved') return { from, dir: requirePath('model.dir', source.dir, baseDir) };
  if (from === 'mnist') return { from };
  if (from === 'base')
    return source.dir === undefined ? { from } : { from, dir: requirePath('model.dir', source.dir, baseDir) };
  if (!diffusion) return { from: 'new', gpt: requireObject('model.gpt', source.gpt ?? {}) };
  return {
    from: 'new',
    denoiser: requireOneOf('model.denoiser', source.denoiser ?? 'mlp', ['mlp', 'unet'] as const),
    config: requireObject('model.config', source.config ?? {}),
    schedule: requireObject('model.schedule', source.schedule ?? {}),
  };
}

function parseReward(value: unknown, options: ParseRunConfigOptions): RewardSpec {
  const names = options.rewardFunctions ?? [];
  const diffusion = MODALITY_OF_KIND[options.kind] === 'diffusion';
  const shapes = diffusion ? '{ "function": name }' : '{ "function": name } or { "model": "runs/reward/model" }';
  const reward = requireObject('reward', value, `${shapes} (functions: ${names.join(', ')})`);
  if (reward.model !== undefined && !diffusion) {
    refuseUnknownFields('reward', reward, ['model'], 'a reward model source');
    return { model: requirePath('reward.model', reward.model, options.baseDir) };
  }
  refuseUnknownFields('reward', reward, ['function'], 'a reward function source');
  return { function: requireOneOf('reward.function', reward.function, names) };
}

/**
 * Validates a parsed `run.json` for `dpo-ts train <kind>` (after `--set` overrides) and resolves
 * its paths. Every field is checked at once, before anything loads: an unknown field is refused
 * with the closest known name, a missing or malformed one names its path, what it accepts and
 * what it got. The `training` object's fields are the trainer's and checked by it. The RL kinds
 * (`ppo`, `rloo`, `grpo`, `online-dpo`, `ddpo`) also need `reward` ({@link RewardSpec}); the
 * others refuse it.
 * @throws InvalidArgumentError naming the field (`data.train`, `model.from`, ...).
 */
export function parseRunConfig(value: unknown, options: ParseRunConfigOptions): RunConfig {
  const { kind, baseDir } = options;
  const config = requireObject('config', value, 'a JSON object { "model", "data", "training", "out" }');
  const rl = RL_KINDS.includes(kind);
  refuseUnknownFields('', config, rl ? RL_TOP_LEVEL_FIELDS : TOP_LEVEL_FIELDS, 'the run config');
  const reward = rl ? parseReward(config.reward, options) : undefined;
  const model = parseModelSource(config.model, kind, baseDir);
  const data = requireObject(
    'data',
    config.data,
    `an object { "train": "${rl ? 'prompts' : 'pairs'}.jsonl", "eval"?: "held-out.jsonl" }`,
  );
  refuseUnknownFields('data', data, DATA_FIELDS, 'data');
  const train = requirePath('data.train', data.train, baseDir);
  const evalFile = data.eval === undefined ? undefined : requirePath('data.eval', data.eval, baseDir);
  const training = requireObject('training', config.training ?? {});
  const cwd = options.cwd ?? process.cwd();
  const out =
    options.out !== undefined
      ? requirePath('--out', options.out, cwd)
      : config.out !== undefined
        ? requirePath('out', config.out, baseDir)
        : resolve(cwd, 'runs', kind);
  return {
    kind,
    model,
    data: evalFile === undefined ? { train } : { train, eval: evalFile },
    training,
    out,
    ...(reward === undefined ? {} : { reward }),
  };
}
