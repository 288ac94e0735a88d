import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { DPOTSError } from '../errors/dpo-ts-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { fsyncDirectory, temporaryName, writeFileDurable } from '../io/atomic-file.js';
import { CHECKPOINT_FILES } from './checkpoint-format.js';

/** Who holds a checkpoint directory: the content of its `writer.lock`. */
export interface CheckpointLockHolder {
  /** Process id of the writer (`process.pid`). */
  readonly pid: number;
  /** Host name of the writer (`os.hostname()`); a lock from another host is never taken over. */
  readonly host: string;
  /** ISO 8601 time the lock was taken. */
  readonly startedAt: string;
  /** Random; tells this holder from an earlier process that had the same pid. */
  readonly token: string;
}

/** A held lock on a checkpoint directory; see {@link acquireCheckpointLock}. */
export interface CheckpointLock {
  /** The lock file, `<dir>/writer.lock`. */
  readonly file: string;
  /** What this process wrote into the lock file. */
  readonly holder: CheckpointLockHolder;
  /** Stale locks that were taken over, for the caller's log. */
  readonly warnings: readonly string[];
  /** Deletes the lock file if it is still this holder's. Idempotent. */
  release(): Promise<void>;
}

/** Tokens of the locks this process holds, to tell its own live locks from a dead namesake's. */
const HELD = new Set<string>();

/**
 * Makes this process the one writer of checkpoint directory `dir` (created if absent): creates
 * `<dir>/writer.lock` holding `{ pid, host, startedAt, token }` atomically (written to a
 * temporary file, then hard-linked into place, which fails when the lock exists).
 *
 * An existing lock is stale, and taken over with a warning, when it was written on this host
 * by a process that no longer runs (`kill(pid, 0)` fails with ESRCH), or by this process's pid
 * but not by this process (a restarted container reuses pids). Any other holder (a live
 * process, another host) is refused.
 *
 * @throws DPOTSError naming the directory and the holder (pid, host, start time) when another
 *   process holds it, or the lock file when it is unreadable.
 */
export async function acquireCheckpointLock(dir: string): Promise<CheckpointLock> {
  if (typeof dir !== 'string' || dir.length === 0) throw new InvalidArgumentError('dir', 'a non-empty path', dir);
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR')
      throw new DPOTSError(`checkpoint directory ${dir} must be a directory: a file is in the way`, { cause: error });
    throw error;
  }
  const file = path.join(dir, CHECKPOINT_FILES.lock);
  const holder: CheckpointLockHolder = {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
  };
  const temporary = path.join(dir, temporaryName(CHECKPOINT_FILES.lock));
  await writeFileDurable(temporary, [Buffer.from(`${JSON.stringify(holder)}\n`, 'utf8')]);
  const warnings: string[] = [];
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await fs.link(temporary, file);
        await fsyncDirectory(dir);
        HELD.add(holder.token);
        return { file, holder, warnings, release: () => releaseLock(file, holder.token) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const current = await readHolder(file);
      if (current === undefined) continue; // released meanwhile
      if (!isStale(current)) {
        throw new DPOTSError(
          `checkpoint directory ${dir} is in use by another training run: ${file} is held by pid ${current.pid} on host ${current.host} since ${current.startedAt}. ` +
            `Wait for it, stop it, or use another checkpointDir; if that process is gone (another host, a lost container), delete ${file}`,
        );
      }
      // Take the stale lock over by renaming it away; a racing process renames it first at most once.
      const stale = path.join(dir, temporaryName('stale-lock'));
      try {
        await fs.rename(file, stale);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      await fs.rm(stale, { force: true });
      warnings.push(
        `took over the stale lock ${file} of pid ${current.pid} on host ${current.host} (since ${current.startedAt}), which no longer runs`,
      );
    }
    throw new DPOTSError(
      `could not lock checkpoint directory ${dir}: ${file} kept changing (several runs starting at once?)`,
    );
  } finally {
    await fs.rm(temporary, { force: true });
  }
}

/** The holder recorded in `file`, or undefined when the file is gone. */
async function readHolder(file: string): Promise<CheckpointLockHolder | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const value = JSON.parse(text) as CheckpointLockHolder;
    if (
      Number.isSafeInteger(value.pid) &&
      typeof value.host === 'string' &&
      typeof value.startedAt === 'string' &&
      typeof value.token === 'string'
    )
      return value;
  } catch {
    // reported below
  }
  throw new DPOTSError(
    `${file} is not a valid lock record (${JSON.stringify(text.slice(0, 60))}); if no training run writes to this directory, delete it`,
  );
}

function isStale(holder: CheckpointLockHolder): boolean {
  if (holder.host !== hostname()) return false;
  if (holder.pid === process.pid) return !HELD.has(holder.token);
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function releaseLock(file: string, token: string): Promise<void> {
  if (!HELD.has(token)) return;
  HELD.delete(token);
  const current = await readHolder(file).catch(() => undefined);
  if (current?.token === token) await fs.rm(file, { force: true });
}
