import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DPOTSError } from '../errors/dpo-ts-error.js';
import { CHECKPOINT_FILES, parseCheckpointDirectoryName } from './checkpoint-format.js';
import { readCheckpointDirectory, type LoadedCheckpoint } from './checkpoint-read.js';

/** One complete checkpoint found in a directory. */
export interface CheckpointListing {
  /** Optimiser steps completed, parsed from the directory name `step-000120`. */
  readonly step: number;
  /** The step directory, `<dir>/step-000120`. */
  readonly path: string;
}

/**
 * Every complete checkpoint (a `step-N` directory holding a `manifest.json`) in `dir`,
 * oldest first. An absent `dir` has none. Listing does not verify them (loading does).
 */
export async function listCheckpoints(dir: string): Promise<CheckpointListing[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const found: CheckpointListing[] = [];
  for (const name of names) {
    const step = parseCheckpointDirectoryName(name);
    if (step !== undefined && (await exists(path.join(dir, name, CHECKPOINT_FILES.manifest)))) {
      found.push({ step, path: path.join(dir, name) });
    }
  }
  return found.sort((a, b) => a.step - b.step);
}

/**
 * What the `latest` pointer of `dir` says: the step directory it names when that holds a
 * manifest, else undefined with a warning saying why (absent pointer: no warning).
 * @throws DPOTSError naming the path when `latest` is a directory (it must be a file).
 */
export async function readLatestPointer(dir: string): Promise<{
  /** The step directory `latest` names; undefined when absent, corrupt or incomplete. */
  path: string | undefined;
  /** Why a present pointer was not followed; undefined when it was, or when there is none. */
  warning: string | undefined;
}> {
  const file = path.join(dir, CHECKPOINT_FILES.latest);
  let text: string;
  try {
    if ((await fs.lstat(file)).isDirectory()) {
      throw new DPOTSError(
        `${file} must be a file naming the newest checkpoint directory (like "step-000120"): got a directory; remove it`,
      );
    }
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { path: undefined, warning: undefined };
    throw error;
  }
  const pointed = text.trim();
  if (parseCheckpointDirectoryName(pointed) === undefined) {
    return {
      path: undefined,
      warning: `${file} is corrupt (holds ${JSON.stringify(pointed.slice(0, 40))}, not a step directory name)`,
    };
  }
  if (!(await exists(path.join(dir, pointed, CHECKPOINT_FILES.manifest)))) {
    return { path: undefined, warning: `${file} names ${pointed}, which holds no complete checkpoint` };
  }
  return { path: path.join(dir, pointed), warning: undefined };
}

/**
 * The newest checkpoint's step directory in `dir`, or undefined when there is none. Follows
 * the `latest` pointer when it names a complete checkpoint, else takes the highest step.
 * Does not verify the checkpoint: {@link loadLatestCheckpoint} does, and falls back.
 */
export async function findLatestCheckpoint(dir: string): Promise<string | undefined> {
  return (await readLatestPointer(dir)).path ?? (await listCheckpoints(dir)).at(-1)?.path;
}

/**
 * Loads the newest checkpoint of `dir` that passes every check of `loadCheckpoint`
 * (checksums, structure, values): the one `latest` names first, then the others from the
 * highest step down. Each checkpoint
 * skipped (corrupt, truncated, edited, missing a file, holding NaN) and a corrupt `latest`
 * become {@link LoadedCheckpoint.warnings}, so falling back is never silent.
 *
 * @returns undefined when `dir` holds no checkpoint at all.
 * @throws DPOTSError naming `dir` and every checkpoint's problem when none is usable.
 */
export async function loadLatestCheckpoint(dir: string): Promise<LoadedCheckpoint | undefined> {
  const pointer = await readLatestPointer(dir);
  const listed = (await listCheckpoints(dir)).reverse().map((c) => c.path);
  const candidates = pointer.path === undefined ? listed : [pointer.path, ...listed.filter((p) => p !== pointer.path)];
  if (candidates.length === 0) return undefined;
  const problems: string[] = [];
  for (const candidate of candidates) {
    try {
      const loaded = await readCheckpointDirectory(candidate);
      const fellBack = problems.map((problem) => `skipped an unusable checkpoint: ${problem}; using ${loaded.path}`);
      const pointerWarning = pointer.warning === undefined ? [] : [`${pointer.warning}; using ${loaded.path}`];
      return { ...loaded, warnings: [...pointerWarning, ...fellBack, ...loaded.warnings] };
    } catch (error) {
      if (!(error instanceof DPOTSError)) throw error;
      problems.push(error.message);
    }
  }
  throw new DPOTSError(`no usable checkpoint in ${dir}: ${problems.join('; ')}`);
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.stat(file);
    return true;
  } catch {
    return false;
  }
}
