import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { DataFormatError, InvalidArgumentError } from '@dpo-ts/core';
import {
  assignNamedWeights,
  encodeNamedWeights,
  formatJsonFile,
  loadNamedWeights,
  readJsonFile,
  type NamedWeightsManifest,
} from '@dpo-ts/core/io';
import { GPT, type GPTConfig, loadLanguageModel, saveLanguageModel, type SavedLanguageModel } from '@dpo-ts/lm';
import { ScalarHead } from '@dpo-ts/reward';

/** `value-head.json`'s `model` field: PPO's value head saved beside its policy. */
export const VALUE_HEAD_FORMAT = 'dpo-ts.value-head';

/** The value head's files in a saved PPO model: core's named-weights format under other names. */
export const VALUE_HEAD_FILES = Object.freeze({
  /** The {@link ValueHeadManifest}, UTF-8 JSON. */
  manifest: 'value-head.json',
  /** The head's float32 weights (kernel, and bias when it has one), little-endian, in manifest order. */
  weights: 'value-head.bin',
});

/** A separate PPO critic's files in a saved PPO model: its `GPTConfig` and its named weights. */
export const CRITIC_FILES = Object.freeze({
  /** The critic's `GPTConfig`, UTF-8 JSON: what rebuilds it on load. */
  config: 'critic-config.json',
  /** Core's `NamedWeightsManifest` of the critic's weights, UTF-8 JSON. */
  manifest: 'critic-manifest.json',
  /** The critic's float32 weights, little-endian, in manifest order. */
  weights: 'critic-weights.bin',
});

/** `value-head.json`: the head's weights manifest plus what rebuilds the head. */
export interface ValueHeadManifest extends NamedWeightsManifest {
  /** Always {@link VALUE_HEAD_FORMAT}; checked on load. */
  readonly model: typeof VALUE_HEAD_FORMAT;
  /** The head's input width (the value backbone's `dModel`). */
  readonly inputSize: number;
  /** Whether the head has a bias (`<name>.bias`). */
  readonly bias: boolean;
  /** The head's variable name prefix (`value_head`). */
  readonly name: string;
}

/**
 * A policy read back by an rlhf trainer's `load(dir)`: lm's saved language model (the GPT, its
 * tokenizer, `trainer.json`) plus, for a PPO model, the value head and the separate critic.
 * The caller disposes `model`, `valueHead` and `critic`.
 */
export interface SavedPolicyModel extends SavedLanguageModel {
  /** PPO's value head; undefined for a model saved by another trainer (SFT, DPO, RLOO, ...). */
  readonly valueHead: ScalarHead | undefined;
  /** PPO's separate value backbone (TRL's `value_model`); undefined when the head sat on the policy. */
  readonly critic: GPT | undefined;
}

/** What {@link savePolicyModel} writes. */
export interface SavePolicyModelOptions {
  /** The trainer (`'ppo'`, `'rloo'`, `'grpo'`, `'online-dpo'`). */
  readonly kind: string;
  /** The trained policy. */
  readonly model: GPT;
  /** The policy's tokenizer. */
  readonly tokenizer: object;
  /** The trainer's resolved config; stored as JSON in `trainer.json`. */
  readonly trainerConfig: unknown;
  /** Trainer steps (updates) completed. */
  readonly step: number;
  /** PPO's value head. @defaultValue none */
  readonly valueHead?: ScalarHead;
  /** PPO's separate critic. @defaultValue none */
  readonly critic?: GPT;
}

/**
 * Saves a trained policy as one directory, atomically (lm's `saveLanguageModel`): the GPT as lm
 * writes it (so `dpo-ts sample`, `SFTTrainer.load`, `DPOTrainer.load` and `loadGPT` read it),
 * `tokenizer.json`, `trainer.json`, and PPO's value head ({@link VALUE_HEAD_FILES}) and
 * separate critic ({@link CRITIC_FILES}) when given. A failed save leaves a previous directory
 * intact. Creates no lasting tensors.
 * @throws InvalidArgumentError naming `model` (not a GPT) or `tokenizer` (no `toJSON()`).
 */
export async function savePolicyModel(dir: string, options: SavePolicyModelOptions): Promise<void> {
  const files: Record<string, string | Uint8Array> = {};
  const { valueHead, critic } = options;
  if (valueHead !== undefined) {
    const head = await encodeNamedWeights(valueHead.namedVariables());
    const manifest: ValueHeadManifest = {
      ...head.manifest,
      model: VALUE_HEAD_FORMAT,
      inputSize: valueHead.inputSize,
      bias: valueHead.hasBias,
      name: valueHead.name,
    };
    files[VALUE_HEAD_FILES.manifest] = formatJsonFile(manifest);
    files[VALUE_HEAD_FILES.weights] = head.data;
  }
  if (critic !== undefined) {
    if (!(critic instanceof GPT))
      throw new InvalidArgumentError('critic', 'a GPT to save (rebuilt from its config on load)', critic);
    const encoded = await encodeNamedWeights(critic.namedVariables());
    files[CRITIC_FILES.config] = formatJsonFile(critic.config);
    files[CRITIC_FILES.manifest] = formatJsonFile(encoded.manifest);
    files[CRITIC_FILES.weights] = encoded.data;
  }
  await saveLanguageModel(dir, {
    kind: options.kind,
    model: options.model,
    tokenizer: options.tokenizer,
    trainerConfig: options.trainerConfig,
    step: options.step,
    files,
  });
}

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

async function loadValueHead(dir: string): Promise<ScalarHead | undefined> {
  if (!(await exists(join(dir, VALUE_HEAD_FILES.manifest)))) return undefined;
  const file = join(dir, VALUE_HEAD_FILES.manifest);
  const { manifest, weights } = await loadNamedWeights(dir, VALUE_HEAD_FILES);
  const header = manifest as Partial<ValueHeadManifest>;
  if (header.model !== VALUE_HEAD_FORMAT)
    throw new DataFormatError(file, 0, `model must be "${VALUE_HEAD_FORMAT}": got ${JSON.stringify(header.model)}`);
  let head: ScalarHead;
  try {
    head = new ScalarHead({ inputSize: header.inputSize as number, bias: header.bias, initStd: 0, name: header.name });
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new DataFormatError(file, 0, error.message, { cause: error });
    throw error;
  }
  try {
    assignNamedWeights(weights, (tensors) => head.assignWeights(tensors));
  } catch (error) {
    head.dispose();
    throw error;
  }
  return head;
}

async function loadCritic(dir: string): Promise<GPT | undefined> {
  const configPath = join(dir, CRITIC_FILES.config);
  if (!(await exists(configPath))) return undefined;
  let critic: GPT;
  try {
    critic = new GPT((await readJsonFile(configPath)) as unknown as GPTConfig);
  } catch (error) {
    if (error instanceof InvalidArgumentError)
      throw new DataFormatError(configPath, 0, error.message, { cause: error });
    throw error;
  }
  try {
    const { weights } = await loadNamedWeights(dir, CRITIC_FILES);
    assignNamedWeights(weights, (tensors) => critic.assignWeights(tensors));
  } catch (error) {
    critic.dispose();
    throw error;
  }
  return critic;
}

/**
 * Reads a directory written by an lm trainer's `save(dir)` (SFT, DPO, PPO, RLOO, GRPO, online
 * DPO): the policy GPT, its tokenizer and `trainer.json`, plus PPO's value head and critic when
 * the directory holds them. A saved SFT model thus starts PPO, RLOO or GRPO. The caller
 * disposes `model`, `valueHead` and `critic`.
 * @throws InvalidArgumentError naming `dir` when it is not a saved model or of another modality.
 * @throws DataFormatError naming the file for a malformed part.
 */
export async function loadPolicyModel(dir: string): Promise<SavedPolicyModel> {
  const saved = await loadLanguageModel(dir);
  const owned: { dispose(): void }[] = [saved.model];
  try {
    const valueHead = await loadValueHead(dir);
    if (valueHead !== undefined) owned.push(valueHead);
    const critic = await loadCritic(dir);
    return { ...saved, valueHead, critic };
  } catch (error) {
    for (const object of owned) object.dispose();
    throw error;
  }
}
