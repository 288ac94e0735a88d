import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';

/*
 * Durable, atomic writes for everything dpo-ts saves (checkpoints, model weights, caches,
 * data files): data is fsynced before a rename makes it visible, and renames stay within one
 * directory so they are atomic on POSIX filesystems.
 */

/** A name no other writer picks: `.<prefix>-<pid>-<random hex>`. */
export function temporaryName(prefix: string): string {
  return `.${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Writes `chunks` to a new file and fsyncs it before closing. */
export async function writeFileDurable(
  file: string,
  chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
): Promise<number> {
  const handle = await fs.open(file, 'wx');
  let bytes = 0;
  try {
    for await (const chunk of chunks) {
      let written = 0;
      while (written < chunk.byteLength) {
        const { bytesWritten } = await handle.write(chunk, written, chunk.byteLength - written);
        written += bytesWritten;
      }
      bytes += chunk.byteLength;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  return bytes;
}

/**
 * fsyncs a directory so a rename or a new entry in it survives a crash. Platforms that cannot
 * open directories (Windows) skip it: their renames are durable by other means.
 */
export async function fsyncDirectory(directory: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(directory, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EACCES' && code !== 'EINVAL') throw error;
  } finally {
    await handle?.close();
  }
}

/**
 * Replaces the file `target` with `content` atomically: readers see the old or the new content,
 * never a mixture. Creates missing parent directories (a cache at `runs/ref.json` must not
 * fail, after a long reference pass, because `runs/` does not exist yet), writes a temporary
 * file beside the target, fsyncs, renames, fsyncs the directory.
 */
export async function writeFileAtomic(target: string, content: string | Uint8Array): Promise<void> {
  const directory = path.dirname(target);
  await fs.mkdir(directory, { recursive: true });
  const temporary = path.join(directory, temporaryName(path.basename(target)));
  try {
    await writeFileDurable(temporary, [typeof content === 'string' ? Buffer.from(content, 'utf8') : content]);
    await fs.rename(temporary, target);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
  await fsyncDirectory(directory);
}

/**
 * Moves the complete directory `source` to `target` (same parent). An existing `target` is
 * first renamed aside and removed after the new one is in place, so a complete directory is on
 * disk at every moment (under one of the two names).
 */
export async function moveDirectoryIntoPlace(source: string, target: string): Promise<void> {
  const directory = path.dirname(target);
  let aside: string | undefined;
  try {
    await fs.rename(source, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EPERM') throw error;
    aside = path.join(directory, temporaryName(`old-${path.basename(target)}`));
    await fs.rename(target, aside);
    await fs.rename(source, target);
  }
  await fsyncDirectory(directory);
  if (aside !== undefined) await fs.rm(aside, { recursive: true, force: true });
}

/**
 * Writes a whole directory of files atomically: the files go into a temporary sibling
 * directory, each is fsynced, and the directory is renamed into place (replacing an existing
 * one only after the new one is complete). Readers see the old directory or the new one, never
 * a mixture. Used for model weights (`config.json` + `weights.bin`).
 *
 * @param target - the directory to create or replace; its parent is created if missing.
 * @param files - file name (no separators) to content.
 */
export async function writeDirectoryAtomic(
  target: string,
  files: Readonly<Record<string, string | Uint8Array>>,
): Promise<void> {
  const parent = path.dirname(path.resolve(target));
  await fs.mkdir(parent, { recursive: true });
  const temporary = path.join(parent, temporaryName(path.basename(target)));
  await fs.mkdir(temporary);
  try {
    for (const [name, content] of Object.entries(files)) {
      if (name.includes('/') || name.includes(path.sep) || name === '..' || name === '.') {
        throw new InvalidArgumentError('files', 'plain file names without separators', name);
      }
      await writeFileDurable(path.join(temporary, name), [
        typeof content === 'string' ? Buffer.from(content, 'utf8') : content,
      ]);
    }
    await fsyncDirectory(temporary);
    await moveDirectoryIntoPlace(temporary, path.resolve(target));
  } catch (error) {
    await fs.rm(temporary, { recursive: true, force: true });
    throw error;
  }
}
