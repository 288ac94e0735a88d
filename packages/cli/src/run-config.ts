import { isAbsolute, resolve } from 'node:path';
import { InvalidArgumentError } from '@dpo-ts/core';
import { closestName } from './closest-name.js';

/** The trainers `dpo-ts train <kind>` knows, under the checkpoints' `trainer` names. */
export const TRAIN_KINDS = ['sft', 'dpo', 'reward', 'ppo', 'diffusion-sft', 'diffusion-dpo', 'ddpo'] as const;

/** One of {@link TRAIN_KINDS}. */
export type TrainKind = (typeof TRAIN_KINDS)[number];

/** The model package of each trainer kind. */
export const MODALITY_OF_KIND = Object.freeze({
  sft: 'lm',
  dpo: 'lm',
  reward: 'reward',
  ppo: 'lm',
  'diffusion-sft': 'diffusion',
  'diffusion-dpo': 'diffusion',
  ddpo: 'diffusion',
} as const satisfies Record<TrainKind, string>);

/**
 * Where a language model (or a reward model's backbone) starts: `@dpo-ts/lm`'s committed base
 * (`loadBaseModel()`, or another base-model folder `dir`), a directory a trainer's `save(dir)`
 * wrote, or a fresh GPT (`gpt`: GPTConfig fields; a character tokenizer is built from the
 * training texts).
 */
export type LMModelSource =
  | { readonly from: 'base'; readonly dir?: string }
  | { readonly from: 'saved'; readonly dir: string }
  | { readonly from: 'new'; readonly gpt: Readonly<Record<string, unknown>> };

/**
 * Where a denoiser starts: `@dpo-ts/diffusion`'s committed MNIST model (`MNIST_MLP_CHECKPOINT`
 * with the default noise schedule), a directory a trainer's `save(dir)` wrote, or a fresh
 * denoiser (`denoiser`: `'mlp'` or `'unet'`, its `config`, and the noise `schedule`'s config).
 */
export type DiffusionModelSource =
  | { readonly from: 'mnist' }
  | { readonly from: 'saved'; readonly dir: string }
  | {
      readonly from: 'new';
      readonly denoiser: 'mlp' | 'unet';
      readonly config: Readonly<Record<string, unknown>>;
      readonly schedule: Readonly<Record<string, unknown>>;
    };

/** A validated `run.json`, paths made absolute against the config file's folder. */
export interface RunConfig {
  readonly kind: TrainKind;
  readonly model: LMModelSource | DiffusionModelSource;
  /** Training and (optional) evaluation data files: JSONL (`{prompt, chosen, rejected}`, ...). */
  readonly data: { readonly train: string; readonly eval?: string };
  /** The trainer's config (`totalSteps`, `learningRate`, `beta`, ...), validated by the trainer. */
  readonly training: Readonly<Record<string, unknown>>;
  /** The run's folder: `checkpoints/` and, at the end, `model/`. */
  readonly out: string;
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
}

const TOP_LEVEL_FIELDS = ['model', 'data', 'training', 'out'] as const;
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

/**
 * Validates a parsed `run.json` for `dpo-ts train <kind>` (after `--set` overrides) and resolves
 * its paths. Every field is checked at once, before anything loads: an unknown field is refused
 * with the closest known name, a missing or malformed one names its path, what it accepts and
 * what it got. The `training` object's fields are the trainer's and checked by it.
 * @throws InvalidArgumentError naming the field (`data.train`, `model.from`, ...).
 */
export function parseRunConfig(value: unknown, options: ParseRunConfigOptions): RunConfig {
  const { kind, baseDir } = options;
  const config = requireObject('config', value, 'a JSON object { "model", "data", "training", "out" }');
  refuseUnknownFields('', config, TOP_LEVEL_FIELDS, 'the run config');
  const model = parseModelSource(config.model, kind, baseDir);
  const data = requireObject('data', config.data, 'an object { "train": "pairs.jsonl", "eval"?: "held-out.jsonl" }');
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
  return { kind, model, data: evalFile === undefined ? { train } : { train, eval: evalFile }, training, out };
}
