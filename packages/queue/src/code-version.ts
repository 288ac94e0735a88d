import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { InvalidArgumentError } from '@dpo-ts/core';

/** Options of {@link detectCodeVersion}. */
export interface DetectCodeVersionOptions {
  /** Packages whose versions enter the code version, e.g. every `@dpo-ts/*` a job imports. */
  readonly packages: readonly string[];
  /** Where packages are resolved from and `git describe` runs. @defaultValue process.cwd() */
  readonly cwd?: string;
  /**
   * Used as is instead of detecting (deployments without git, or pinning a version by hand).
   * @defaultValue process.env.DPO_TS_CODE_VERSION
   */
  readonly override?: string;
}

/**
 * The code version a producer puts in every job and a worker compares with its own: each
 * package's `name@version`, then `git describe --always --dirty --tags` of `cwd` when it is a
 * git checkout (a commit id, `-dirty` when files changed). Package versions alone miss
 * unreleased changes; the git part catches them between checkouts of the same repository.
 * A result is keyed by this version too, so changed code never reuses an old result.
 *
 * @example detectCodeVersion({ packages: ['@dpo-ts/core'] }) === '@dpo-ts/core@0.1.0 git:b350e38-dirty'
 * @throws InvalidArgumentError naming the package that cannot be resolved from `cwd`.
 */
export function detectCodeVersion(options: DetectCodeVersionOptions): string {
  const override = options.override ?? process.env.DPO_TS_CODE_VERSION;
  if (override !== undefined && override !== '') return override;
  const cwd = options.cwd ?? process.cwd();
  const require = createRequire(join(cwd, 'package.json'));
  const parts = options.packages.map((name) => {
    let version: unknown;
    try {
      version = (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version?: unknown })
        .version;
    } catch (error) {
      throw new InvalidArgumentError(
        'options.packages',
        `packages resolvable from ${cwd}`,
        name,
        (error as Error).message.split('\n', 1)[0],
      );
    }
    return `${name}@${String(version)}`;
  });
  const git = gitDescribe(cwd);
  return git === undefined ? parts.join(' ') : `${parts.join(' ')} git:${git}`;
}

function gitDescribe(cwd: string): string | undefined {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty', '--tags'], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}
