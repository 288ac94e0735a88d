import { constants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';

/**
 * Checks, before any work is done, that `file` can be written atomically: it is not a
 * directory or another non-regular file, its directory exists and is a writable directory
 * (an atomic write creates a temporary file beside the target), and an existing file is
 * writable. Expensive results (reference scores) are computed only after this passes, so a
 * typo in a path costs nothing.
 *
 * @param argument - names the path in errors (`options.referenceCacheFile`).
 * @throws InvalidArgumentError naming `argument`, what a writable path is and the
 *   path, with the reason (`directory /x does not exist`).
 */
export async function assertWritableFilePath(argument: string, file: string): Promise<void> {
  const expected = 'a writable file path in an existing directory';
  if (typeof file !== 'string' || file === '') throw new InvalidArgumentError(argument, expected, file);
  const existing = await statOrUndefined(file);
  if (existing?.isDirectory()) throw new InvalidArgumentError(argument, expected, file, 'it is a directory');
  if (existing !== undefined && !existing.isFile())
    throw new InvalidArgumentError(argument, expected, file, 'it is not a regular file');
  const directory = path.dirname(path.resolve(file));
  const parent = await statOrUndefined(directory);
  if (parent === undefined)
    throw new InvalidArgumentError(argument, expected, file, `directory ${directory} does not exist`);
  if (!parent.isDirectory())
    throw new InvalidArgumentError(argument, expected, file, `${directory} is not a directory`);
  for (const [target, what] of [[directory, 'directory'], ...(existing ? [[file, 'file']] : [])] as const) {
    try {
      await fs.access(target, constants.W_OK);
    } catch (error) {
      throw new InvalidArgumentError(
        argument,
        expected,
        file,
        `the ${what} is not writable: ${(error as Error).message}`,
      );
    }
  }
}

async function statOrUndefined(target: string): Promise<import('node:fs').Stats | undefined> {
  try {
    return await fs.stat(target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}
