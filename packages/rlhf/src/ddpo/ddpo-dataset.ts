import { InvalidArgumentError } from '@dpo-ts/core';
import type { Denoiser, ImageReward, NoiseSchedule } from '@dpo-ts/diffusion';
import type { ResolvedDDPOConfig } from './ddpo-config.js';
import { collectDDPORollout } from './ddpo-rollout.js';
import type { DDPOSamplingPool } from './ddpo-sampling-pool.js';

/** A condition to sample images for: `{ prompt: classLabel }`, core's `PromptRecord<number>` shape. */
export interface ConditionExample {
  /** The class label (0 .. numClasses - 1, or numClasses for the unconditional "null" class). */
  readonly prompt: number;
}

/** The datasets of a DDPO trainer, resolved from its options (new names and the deprecated `conditions`). */
export interface DDPOConditions {
  /**
   * Class label of each training condition (0..numClasses, numClasses the null class); samples are drawn from these.
   */
  readonly train: readonly number[];
  /** Class labels evaluated by `evaluate()`, or undefined without an `evalDataset`. */
  readonly eval: readonly number[] | undefined;
  /** Messages for deprecated option names, reported through `train({ onWarning })`. */
  readonly deprecations: readonly string[];
}

function labels(argument: string, records: readonly unknown[], numClasses: number, wrapped: boolean): number[] {
  if (!Array.isArray(records) || records.length === 0)
    throw new InvalidArgumentError(
      argument,
      wrapped ? 'a non-empty array of { prompt: classLabel } records' : 'a non-empty array of class labels',
      records,
    );
  return records.map((record, i) => {
    const label = wrapped ? (record as { prompt?: unknown } | null)?.prompt : record;
    const name = wrapped ? `${argument}[${i}].prompt` : `${argument}[${i}]`;
    if (typeof label !== 'number' || !Number.isInteger(label) || label < 0 || label > numClasses)
      throw new InvalidArgumentError(name, `an integer in [0, ${numClasses}]`, label);
    return label;
  });
}

/**
 * Resolves `trainDataset` / `evalDataset` (`{ prompt: classLabel }` records, the shape every
 * dpo-ts trainer takes) or the deprecated `conditions` (plain labels) to label lists.
 * @throws InvalidArgumentError naming the option or record, or when both names are given.
 */
export function resolveDDPOConditions(
  options: {
    readonly trainDataset?: readonly ConditionExample[];
    readonly evalDataset?: readonly ConditionExample[];
    readonly conditions?: readonly number[];
  },
  numClasses: number,
): DDPOConditions {
  if (options.trainDataset !== undefined && options.conditions !== undefined)
    throw new InvalidArgumentError(
      'options.conditions',
      'absent when trainDataset is given (its deprecated name)',
      'both',
    );
  const deprecations: string[] = [];
  let train: number[];
  if (options.trainDataset !== undefined)
    train = labels('options.trainDataset', options.trainDataset, numClasses, true);
  else if (options.conditions !== undefined) {
    train = labels('options.conditions', options.conditions, numClasses, false);
    deprecations.push(
      'DDPOTrainer.create: `conditions` is deprecated; use `trainDataset: conditions.map((prompt) => ({ prompt }))`',
    );
  } else
    throw new InvalidArgumentError(
      'options.trainDataset',
      'a non-empty array of { prompt: classLabel } records',
      undefined,
    );
  const evaluation =
    options.evalDataset === undefined
      ? undefined
      : labels('options.evalDataset', options.evalDataset, numClasses, true);
  return { train, eval: evaluation, deprecations };
}

/**
 * DDPO's `evaluate()`: one image per evaluation condition, sampled with the training sampler
 * settings from a generator seeded with `config.seed` (no training state touched), scored by the
 * reward: `eval_reward_mean` and `eval_reward_std`, the keys `reward_mean` and `reward_std` the
 * training steps log, with TRL's `eval_` prefix. `pool`: the trainer's sampling pool during
 * `train()` (the same images as the main thread). Leaves no tensor behind.
 */
export async function evaluateDDPO(
  model: Denoiser,
  schedule: NoiseSchedule,
  reward: ImageReward,
  conditions: readonly number[],
  config: ResolvedDDPOConfig,
  pool?: DDPOSamplingPool,
): Promise<Record<string, number>> {
  const rollout = await collectDDPORollout(model, schedule, {
    conditions,
    reward,
    seed: config.seed,
    numSteps: config.numSteps,
    eta: config.eta,
    guidanceScale: config.guidanceScale,
    sampleBatchSize: config.sampleBatchSize,
    ...(pool === undefined ? {} : { pool }),
  });
  const rewards = Array.from(rollout.rewards);
  const mean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
  const std = Math.sqrt(rewards.reduce((total, r) => total + (r - mean) ** 2, 0) / rewards.length);
  return { eval_reward_mean: mean, eval_reward_std: std };
}
