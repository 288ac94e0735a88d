import { DPOTSError } from '../errors/dpo-ts-error.js';
import { listCheckpoints, loadLatestCheckpoint } from './checkpoint-directory.js';
import type { JsonValue } from './checkpoint-format.js';
import type { LoadedCheckpoint } from './checkpoint-read.js';

/** What {@link resumeFromCheckpoint} checks a checkpoint against before restoring it. */
export interface ResumeExpectations {
  /**
   * The trainer kind that must have written the checkpoint, compared with its
   * `metadata.trainer` (`'dpo'`, `'sft'`, ...). @defaultValue undefined (not checked)
   */
  readonly trainer?: string | undefined;
  /** Refuse a checkpoint without optimiser state (`optimizer: null`). @defaultValue false */
  readonly requireOptimizerState?: boolean | undefined;
  /**
   * The resuming model's configuration (architecture fields: head count, norm epsilon, group
   * count..., which weight shapes alone do not reveal), compared with the manifest's `model`:
   * any difference is refused, naming the first differing field; a checkpoint that recorded
   * none is resumed with a warning. @defaultValue undefined (not checked)
   */
  readonly modelConfig?: JsonValue | undefined;
}

/**
 * The resume step of a training loop on checkpoint directory `dir` (already locked and
 * recovered): with `resume: false`, refuses a directory that holds checkpoints; otherwise loads
 * the newest valid checkpoint (falling back past corrupt ones, each reported through `warn`),
 * checks it against `expect`, and hands it to `restore`.
 *
 * @returns the completed steps to continue from and the checkpoint's path (0 and undefined
 *   when starting afresh).
 * @throws DPOTSError naming the checkpoint when it was written by another trainer, lacks
 *   optimiser state, or when no checkpoint in `dir` is usable; naming `dir` when `resume` is
 *   true and it holds none, or false and it holds some.
 */
export async function resumeFromCheckpoint(
  dir: string,
  resume: boolean | 'auto',
  expect: ResumeExpectations,
  restore: (checkpoint: LoadedCheckpoint) => void | Promise<void>,
  warn: (message: string) => void,
): Promise<{
  /** Optimiser steps completed: the step index the loop runs next (0 when starting afresh). */
  step: number;
  /** The step directory resumed from; undefined when starting afresh. */
  from: string | undefined;
}> {
  if (resume === false) {
    const existing = await listCheckpoints(dir);
    if (existing.length > 0) {
      throw new DPOTSError(
        `checkpoint directory ${dir} already holds ${existing.length} checkpoint(s) (latest ${existing.at(-1)!.path}); ` +
          `pass resume: 'auto' to continue that run, or delete them / choose another directory to start afresh`,
      );
    }
    return { step: 0, from: undefined };
  }
  const loaded = await loadLatestCheckpoint(dir);
  if (loaded === undefined) {
    if (resume === true) throw new DPOTSError(`resume: true, but ${dir} holds no checkpoint`);
    return { step: 0, from: undefined };
  }
  loaded.warnings.forEach(warn);
  checkExpectations(loaded, expect);
  if (expect.modelConfig !== undefined) {
    if (loaded.manifest.model === undefined)
      warn(`checkpoint ${loaded.path} records no model config: it could not be checked against this model's`);
    else {
      const difference = firstDifference(
        loaded.manifest.model,
        JSON.parse(JSON.stringify(expect.modelConfig)) as JsonValue,
        'model',
      );
      if (difference !== undefined) {
        throw new DPOTSError(
          `checkpoint ${loaded.path} was written for a different model: ${difference.path} is ${difference.saved} in the checkpoint, ${difference.current} in this model; ` +
            `resume with the model it was trained with, or start afresh in another checkpoint directory`,
        );
      }
    }
  }
  await restore(loaded);
  return { step: loaded.step, from: loaded.path };
}

function checkExpectations(loaded: LoadedCheckpoint, expect: ResumeExpectations): void {
  if (expect.trainer !== undefined) {
    const metadata = loaded.metadata;
    const writer =
      typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata) ? metadata.trainer : undefined;
    if (writer !== expect.trainer) {
      const by =
        typeof writer === 'string'
          ? `the "${writer}" trainer`
          : `an unknown trainer (metadata.trainer is ${JSON.stringify(writer ?? null)})`;
      throw new DPOTSError(
        `checkpoint ${loaded.path} was written by ${by}; this is the "${expect.trainer}" trainer, which cannot resume it. ` +
          `Resume it with the trainer that wrote it, or start afresh in another checkpoint directory`,
      );
    }
  }
  if (expect.requireOptimizerState === true && loaded.optimizer === undefined) {
    throw new DPOTSError(
      `checkpoint ${loaded.path} has no optimizer state (manifest "optimizer": null): a training run cannot resume from it`,
    );
  }
}

/** The first path where two JSON values differ, with both values rendered; undefined when equal. */
function firstDifference(
  saved: JsonValue | undefined,
  current: JsonValue | undefined,
  at: string,
): { path: string; saved: string; current: string } | undefined {
  const render = (value: JsonValue | undefined): string => (value === undefined ? 'absent' : JSON.stringify(value));
  const isObject = (value: JsonValue | undefined): value is { [key: string]: JsonValue } =>
    typeof value === 'object' && value !== null && !Array.isArray(value);
  if (isObject(saved) && isObject(current)) {
    for (const key of new Set([...Object.keys(saved), ...Object.keys(current)])) {
      const difference = firstDifference(saved[key], current[key], `${at}.${key}`);
      if (difference !== undefined) return difference;
    }
    return undefined;
  }
  if (Array.isArray(saved) && Array.isArray(current) && saved.length === current.length) {
    for (let i = 0; i < saved.length; i++) {
      const difference = firstDifference(saved[i], current[i], `${at}[${i}]`);
      if (difference !== undefined) return difference;
    }
    return undefined;
  }
  return JSON.stringify(saved) === JSON.stringify(current)
    ? undefined
    : { path: at, saved: render(saved), current: render(current) };
}
