/**
 * The `parseArgs` options the emoji text-to-image scripts share: the model, its autoencoder and
 * the held-out alignment scorer, defaulting to the committed checkpoints
 * (`packages/diffusion/checkpoints`, found from the compiled script in `dist/run/scripts`).
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from '@dpo-ts/core';
import { selectBackend, type BackendRequest } from '@dpo-ts/core/backend';
import {
  loadEmojiDataset,
  loadTextToImageSnapshot,
  requireTrainedOnEmojiSplit,
  splitEmojiDataset,
  type EmojiDataset,
  type TextToImageSnapshot,
} from '@dpo-ts/diffusion';
import { emojiSplitOptions } from './emoji-split-option.js';

const CHECKPOINTS = fileURLToPath(new URL('../../../checkpoints', import.meta.url));

/** `--model`, `--autoencoder` and `--scorer`, each a directory, defaulting to the committed ones. */
export const EMOJI_T2I_MODEL_OPTIONS = {
  model: { type: 'string', default: path.join(CHECKPOINTS, 'emoji-t2i') },
  autoencoder: { type: 'string', default: path.join(CHECKPOINTS, 'emoji-autoencoder') },
  scorer: { type: 'string', default: path.join(CHECKPOINTS, 'emoji-clip-oracle') },
} as const;

/**
 * A `--timesteps` list like `100,250,500`: integers in [0, numTimesteps).
 * @throws InvalidArgumentError naming `--timesteps` and the range when one is not.
 */
export function parseTimestepList(text: string, numTimesteps: number): number[] {
  const timesteps = text.split(',').map(Number);
  for (const t of timesteps)
    if (!Number.isInteger(t) || t < 0 || t >= numTimesteps)
      throw new InvalidArgumentError('--timesteps', `integers in [0, ${numTimesteps})`, text);
  return timesteps;
}

/** What {@link loadEmojiT2IScriptModel} returns. */
export interface EmojiT2IScriptModel {
  /** The split's training half (canonical art). */
  readonly train: EmojiDataset;
  /** The split's held-out half. */
  readonly heldOut: EmojiDataset;
  /** The model and its autoencoder; the caller disposes their networks. */
  readonly snapshot: TextToImageSnapshot;
}

/**
 * What the emoji diagnostics start with: the backend (`--backend`, quiet), `--model` and
 * `--autoencoder` checked against the split `--split-hash` names (`requireTrainedOnEmojiSplit`),
 * the split, and the model read from a saved model, a trained model or a run checkpoint.
 */
export async function loadEmojiT2IScriptModel(values: {
  readonly model: string;
  readonly autoencoder: string;
  readonly 'split-hash': string;
  readonly backend: string;
}): Promise<EmojiT2IScriptModel> {
  const splitOptions = emojiSplitOptions(values['split-hash']);
  await selectBackend({ backend: values.backend as BackendRequest, quiet: true });
  await requireTrainedOnEmojiSplit(values.model, splitOptions, '--model');
  await requireTrainedOnEmojiSplit(values.autoencoder, splitOptions, '--autoencoder');
  const { train, heldOut } = splitEmojiDataset(await loadEmojiDataset(), splitOptions);
  const snapshot = await loadTextToImageSnapshot(values.model, {
    trainCaptions: train.entries.map((entry) => entry.caption),
    autoencoder: values.autoencoder,
  });
  return { train, heldOut, snapshot };
}
