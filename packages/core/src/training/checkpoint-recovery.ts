import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { fsyncDirectory } from '../io/atomic-file.js';
import { CHECKPOINT_FILES } from './checkpoint-format.js';

/** `temporaryName` leftovers of `saveCheckpoint`: `.<prefix>-<pid>-<8 hex>`. */
const LEFTOVER = /^\.(old-|pruned-)?(step-\d+|latest)-\d+-[0-9a-f]{8}$/;

/**
 * Repairs what a crash during `saveCheckpoint` can leave in checkpoint directory `dir`, so
 * that it holds only complete checkpoints and a `latest` pointer. Run it while holding the
 * directory's lock (the training loop does, on open), never while another process writes there.
 *
 * - `.old-step-N-*` (a same-step directory renamed aside, the crash came before the new one
 *   took its name): when `step-N` is missing, the rename is rolled back (`step-N` is the old,
 *   complete checkpoint again, still the one `latest` names); otherwise it is deleted.
 * - `.step-N-*` (a temporary directory, complete or not: it was never committed by its rename),
 *   `.latest-*` (a temporary pointer never renamed) and `.pruned-step-N-*` (an old checkpoint
 *   `keepLast` had renamed away to delete): deleted.
 *
 * A `latest` naming a missing or corrupt checkpoint is left for `loadLatestCheckpoint`, which
 * falls back to the newest valid one with a warning.
 *
 * @returns one line per action taken, for the caller's log; empty when nothing was left over.
 */
export async function recoverCheckpointDirectory(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const actions: string[] = [];
  const present = new Set(names);
  const leftovers = names.filter((name) => LEFTOVER.test(name)).sort();
  for (const name of leftovers.filter((n) => n.startsWith('.old-'))) {
    const target = LEFTOVER.exec(name)![2]!;
    const aside = path.join(dir, name);
    if (!present.has(target)) {
      await fs.rename(aside, path.join(dir, target));
      present.add(target);
      actions.push(`rolled back an interrupted replacement of ${path.join(dir, target)} (restored from ${name})`);
    } else {
      await fs.rm(aside, { recursive: true, force: true });
      actions.push(`removed ${aside}, the replaced copy of ${target} left by an interrupted save`);
    }
  }
  for (const name of leftovers.filter((n) => !n.startsWith('.old-'))) {
    await fs.rm(path.join(dir, name), { recursive: true, force: true });
    const what = name.startsWith('.pruned-')
      ? 'an old checkpoint whose deletion was interrupted'
      : name.startsWith(`.${CHECKPOINT_FILES.latest}-`)
        ? 'a temporary "latest" pointer never put in place'
        : 'an uncommitted temporary checkpoint';
    actions.push(`removed ${path.join(dir, name)}, ${what}`);
  }
  if (actions.length > 0) await fsyncDirectory(dir);
  return actions;
}
