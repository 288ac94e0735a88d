import type { CliIO } from './cli-io.js';

/** The part of a commander `Command` the dispatch uses. */
interface ParsableProgram {
  parseAsync(argv: readonly string[]): Promise<unknown>;
}

/** The part of `@dpo-ts/benchmarks/cli` the dispatch uses: its program over a benchmark registry. */
interface BenchmarksCli {
  buildProgram(benchmarks: readonly unknown[]): ParsableProgram;
}

/** The module the commands other than `train` and `sample` come from. */
export const BENCHMARKS_CLI_MODULE = '@dpo-ts/benchmarks/cli';
/** The registry of benchmarks the program runs. */
export const BENCHMARKS_REGISTRY_MODULE = '@dpo-ts/benchmarks/registry';

/**
 * Runs `dpo-ts bench ...` (and every other command the benchmarks program defines: `list`,
 * `publish`, `merge`, ...) through a dynamic import of `@dpo-ts/benchmarks`, which ships with the
 * dpo-ts repository and is not an npm dependency of this package. When it cannot be resolved,
 * prints how to get it and returns 1.
 * @param importModule - loads the module (tests pass their own).
 */
export async function dispatchToBenchmarks(
  argv: readonly string[],
  io: CliIO,
  importModule: (specifier: string) => Promise<unknown> = (specifier) => import(specifier),
): Promise<number> {
  let program: ParsableProgram;
  try {
    const cli = (await importModule(BENCHMARKS_CLI_MODULE)) as BenchmarksCli;
    const { BENCHMARKS } = (await importModule(BENCHMARKS_REGISTRY_MODULE)) as { BENCHMARKS: readonly unknown[] };
    program = cli.buildProgram(BENCHMARKS);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw error;
    io.stderr.write(
      `dpo-ts: "${argv[0]}" is a command of the dpo-ts benchmarks (${BENCHMARKS_CLI_MODULE}), which are not installed: ` +
        'they ship with the dpo-ts repository, not on npm. Clone https://github.com/dpo-ts/dpo-ts, run ' +
        '`npm ci && npx turbo run build`, then run `npx dpo-ts ' +
        `${argv.join(' ')}\` there (or \`node benchmarks/dist/cli.js ${argv.join(' ')}\`).\n`,
    );
    return 1;
  }
  // As the benchmarks' own entry point does: commander prints its usage errors (exit 2; 0 for
  // --help), other errors are printed here (exit 1).
  try {
    await program.parseAsync(['node', 'dpo-ts', ...argv]);
    return 0;
  } catch (error) {
    const exitCode = (error as { exitCode?: number }).exitCode;
    if (exitCode !== undefined) return exitCode === 0 ? 0 : 2;
    io.stderr.write(`dpo-ts: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
