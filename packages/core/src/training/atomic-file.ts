import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * Small durable-write helpers for checkpoints: data is fsynced before a rename makes it
 * visible, and renames stay within one directory so they are atomic on POSIX filesystems.
 * Internal to core's checkpoint code.
 */

/** A name no other writer picks: `.<prefix>-<pid>-<random hex>`. */
export function temporaryName(prefix: string): string {
  return `.${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Writes `chunks` to a new file and fsyncs it before closing. */
export async function writeFileDurable(file: string, chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<number> {
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
 * never a mixture. Writes a temporary file beside it, fsyncs, renames, fsyncs the directory.
 */
export async function writeFileAtomic(target: string, content: string): Promise<void> {
  const directory = path.dirname(target);
  const temporary = path.join(directory, temporaryName(path.basename(target)));
  try {
    await writeFileDurable(temporary, [Buffer.from(content, 'utf8')]);
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
