import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataFormatError, InvalidArgumentError } from '@dpo-ts/core';
import { readJsonFile } from '@dpo-ts/core/io';
import { resolveEmojiSplitOptions, type EmojiSplitOptions } from './emoji-split.js';

/**
 * The split the emoji models saved before 2026-12-04 were trained on: their `training.json` has
 * no `split` field, and every one of them used `splitEmojiDataset`'s then-default plain FNV-1a
 * ranking with 10% held out and seed 0.
 */
export const LEGACY_EMOJI_SPLIT: Required<EmojiSplitOptions> = { heldOutFraction: 0.1, seed: 0, hash: 'fnv1a' };

/**
 * The emoji split a model directory was trained on, as its `training.json` records it (the
 * `split` field the emoji training scripts write; {@link LEGACY_EMOJI_SPLIT} when the file has
 * none).
 * @param directory - a saved model's directory (autoencoder, labeler, text-to-image model).
 * @returns the split with every default filled in, or `undefined` when the directory holds no
 * `training.json` (a run checkpoint, a model from elsewhere): then nothing is known.
 * @throws DataFormatError naming the file when it is not a JSON object or its `split` is not a
 * valid {@link EmojiSplitOptions}.
 */
export async function readTrainedEmojiSplit(directory: string): Promise<Required<EmojiSplitOptions> | undefined> {
  const path = join(directory, 'training.json');
  if (!existsSync(path)) return undefined;
  const record = await readJsonFile(path);
  if (record.split === undefined) return LEGACY_EMOJI_SPLIT;
  if (typeof record.split !== 'object' || record.split === null || Array.isArray(record.split))
    throw new DataFormatError(
      path,
      0,
      `"split" must be an object like {"heldOutFraction":0.1,"seed":0,"hash":"mixed"}`,
    );
  try {
    return resolveEmojiSplitOptions(record.split as EmojiSplitOptions);
  } catch (error) {
    throw new DataFormatError(path, 0, `"split" is not a valid emoji split: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** `{ heldOutFraction: 0.1, seed: 0, hash: 'mixed' }`, as a message shows a split. */
function describeSplit(split: Required<EmojiSplitOptions>): string {
  return `{ heldOutFraction: ${split.heldOutFraction}, seed: ${split.seed}, hash: '${split.hash}' }`;
}

/**
 * Refuses a model evaluated on another emoji split than the one it was trained on: its held-out
 * emoji would include training emoji (and the reverse), so every held-out measure would be wrong
 * without any error. Passes when the directory's `training.json` records the same split (see
 * {@link readTrainedEmojiSplit}) or when there is no `training.json` to read.
 * @param directory - the model's directory.
 * @param split - the split the caller evaluates on (defaults filled in as `splitEmojiDataset`
 * fills them).
 * @param argument - the name of the argument or flag that gave `directory`, for the message.
 * @throws InvalidArgumentError naming `argument`, the split expected and the split recorded.
 */
export async function requireTrainedOnEmojiSplit(
  directory: string,
  split: EmojiSplitOptions,
  argument: string,
): Promise<void> {
  const expected = resolveEmojiSplitOptions(split);
  const trained = await readTrainedEmojiSplit(directory);
  if (trained === undefined) return;
  if (
    trained.hash !== expected.hash ||
    trained.seed !== expected.seed ||
    trained.heldOutFraction !== expected.heldOutFraction
  )
    throw new InvalidArgumentError(
      argument,
      `a model trained on the split it is evaluated on, ${describeSplit(expected)}`,
      directory,
      `its training.json records ${describeSplit(trained)}${trained === LEGACY_EMOJI_SPLIT ? ' (no "split" field: a model saved before 2026-12-04)' : ''}${trained.hash !== expected.hash ? `; with the emoji scripts, pass --split-hash ${trained.hash}` : ''}`,
    );
}
