import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
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
 * The emoji split a model directory was trained on, from the first of these that exists:
 * 1. its `training.json` (a finished model): the `split` field the emoji training scripts write,
 *    {@link LEGACY_EMOJI_SPLIT} when the file has none;
 * 2. `metadata.split` of its `config.json` (an interim text-to-image model that a run saves to
 *    `--out` every `--save-every` steps, before `training.json` exists);
 * 3. `metadata.split` of a run checkpoint's `manifest.json`: the directory itself (a step
 *    directory) or, for a run directory, the step its `latest` file names.
 * A config or manifest without `metadata.split` (saved before 2026-12-05) tells nothing.
 * @param directory - a saved model's directory (autoencoder, labeler, text-to-image model), or a
 *   run checkpoint's step or run directory.
 * @returns the split with every default filled in, or `undefined` when no record names one (a
 * model from elsewhere, an old interim model or checkpoint): then nothing is known.
 * @throws DataFormatError naming the file when it is not a JSON object or its split is not a
 * valid {@link EmojiSplitOptions}.
 */
export async function readTrainedEmojiSplit(directory: string): Promise<Required<EmojiSplitOptions> | undefined> {
  const training = join(directory, 'training.json');
  if (existsSync(training)) {
    const record = await readJsonFile(training);
    return record.split === undefined ? LEGACY_EMOJI_SPLIT : splitFrom(training, record.split, '"split"');
  }
  const config = join(directory, 'config.json');
  if (existsSync(config)) return metadataSplit(config);
  const latest = join(directory, 'latest');
  const stepDirectory = existsSync(latest) ? join(directory, (await readFile(latest, 'utf8')).trim()) : directory;
  const manifest = join(stepDirectory, 'manifest.json');
  return existsSync(manifest) ? metadataSplit(manifest) : undefined;
}

/** `metadata.split` of a saved model's config or a checkpoint's manifest; undefined when absent. */
async function metadataSplit(path: string): Promise<Required<EmojiSplitOptions> | undefined> {
  const { metadata } = await readJsonFile(path);
  if (metadata === undefined || metadata === null || typeof metadata !== 'object' || Array.isArray(metadata))
    return undefined;
  const split = (metadata as Record<string, unknown>).split;
  return split === undefined ? undefined : splitFrom(path, split, '"metadata.split"');
}

/** A recorded split, checked and with every default filled in. */
function splitFrom(path: string, split: unknown, field: string): Required<EmojiSplitOptions> {
  if (typeof split !== 'object' || split === null || Array.isArray(split))
    throw new DataFormatError(
      path,
      0,
      `${field} must be an object like {"heldOutFraction":0.1,"seed":0,"hash":"mixed"}`,
    );
  try {
    return resolveEmojiSplitOptions(split as EmojiSplitOptions);
  } catch (error) {
    throw new DataFormatError(path, 0, `${field} is not a valid emoji split: ${(error as Error).message}`, {
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
 * without any error. Passes when the directory's record (`training.json`, or the metadata of an
 * interim model or a run checkpoint; see {@link readTrainedEmojiSplit}) names the same split, or
 * when no record names one.
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
      `its training record names ${describeSplit(trained)}${trained === LEGACY_EMOJI_SPLIT ? ' (no "split" field: a model saved before 2026-12-04)' : ''}${trained.hash !== expected.hash ? `; with the emoji scripts, pass --split-hash ${trained.hash}` : ''}`,
    );
}
