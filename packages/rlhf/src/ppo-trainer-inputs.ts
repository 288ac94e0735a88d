import { InvalidArgumentError } from '@dpo-ts/core';
import type { GPT } from '@dpo-ts/lm';
import type { PromptExample } from './group/group-trainer-options.js';
import type { ResolvedPPOConfig } from './ppo-config.js';
import type { PPOTrainerOptions } from './ppo-trainer-options.js';
import { datasetPrompts } from './prompt-encoding.js';

/** The models and prompts of a {@link PPOTrainer}, resolved from its options once. */
export interface PPOTrainerInputs {
  readonly policy: GPT;
  /** The given reference, or undefined (the trainer then clones the policy). */
  readonly reference: GPT | undefined;
  readonly prompts: string[];
  readonly evalPrompts: string[] | undefined;
  /** Messages for deprecated option names, reported through `train({ onWarning })`. */
  readonly deprecations: string[];
  readonly maxPromptLength: number;
}

/**
 * Resolves the options of `PPOTrainer.create`: the shared names (`model`, `referenceModel`,
 * `trainDataset`, `evalDataset`) or their deprecated ones (`policy`, `reference`, `prompts`: plain
 * strings), and checks every model against the tokenizer and the lengths.
 * @throws InvalidArgumentError naming the option: a missing model, both names of one option, a
 *   vocabulary or context that does not fit, the policy given as its own reference.
 */
export function resolvePPOTrainerInputs(options: PPOTrainerOptions, resolved: ResolvedPPOConfig): PPOTrainerInputs {
  const { tokenizer } = options;
  const deprecations: string[] = [];
  const pick = <T>(current: keyof PPOTrainerOptions, old: keyof PPOTrainerOptions): T | undefined => {
    const value = options[current] as T | undefined;
    const legacy = options[old] as T | undefined;
    if (value !== undefined && legacy !== undefined)
      throw new InvalidArgumentError(old, `absent when ${current} is given (${old} is its deprecated name)`, 'both');
    if (legacy !== undefined) deprecations.push(`PPOTrainer.create: \`${old}\` is deprecated; use \`${current}\``);
    return value ?? legacy;
  };
  const policy = pick<GPT>('model', 'policy');
  if (policy === undefined) throw new InvalidArgumentError('model', 'a GPT (the policy)', undefined);
  const reference = pick<GPT>('referenceModel', 'reference');
  const dataset = pick<readonly unknown[]>('trainDataset', 'prompts');
  const maxPromptLength = resolved.maxPromptLength ?? policy.contextLength - resolved.responseLength + 1;
  for (const [name, model] of [
    ['model', policy],
    ['referenceModel', reference],
    ['critic', options.critic],
  ] as const) {
    if (model === undefined) continue;
    if (model.vocabSize !== tokenizer.vocabSize)
      throw new InvalidArgumentError(
        `${name}.vocabSize`,
        `the tokenizer's vocabSize ${tokenizer.vocabSize}`,
        model.vocabSize,
      );
    if (maxPromptLength < 1 || maxPromptLength + resolved.responseLength - 1 > model.contextLength) {
      throw new InvalidArgumentError(
        'config.maxPromptLength',
        `>= 1 and <= ${name}.contextLength - responseLength + 1 = ${model.contextLength - resolved.responseLength + 1}`,
        maxPromptLength,
      );
    }
  }
  if (reference === policy)
    throw new InvalidArgumentError(
      'referenceModel',
      'a separate model (model.clone()), not the policy itself',
      'the policy',
    );
  const legacy = options.trainDataset === undefined && options.prompts !== undefined;
  const records: readonly PromptExample[] | unknown =
    legacy && Array.isArray(dataset) ? dataset.map((prompt) => ({ prompt })) : dataset;
  return {
    policy,
    reference,
    prompts: datasetPrompts(legacy ? 'prompts' : 'trainDataset', records, resolved.batchSize),
    evalPrompts: options.evalDataset === undefined ? undefined : datasetPrompts('evalDataset', options.evalDataset, 1),
    deprecations,
    maxPromptLength,
  };
}
