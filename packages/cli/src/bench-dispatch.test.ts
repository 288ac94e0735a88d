import { describe, expect, it } from 'vitest';
import { BENCHMARKS_CLI_MODULE, BENCHMARKS_REGISTRY_MODULE, dispatchToBenchmarks } from './bench-dispatch.js';
import type { CliIO } from './cli-io.js';

function capture(): { io: CliIO; stderr: () => string } {
  let stderr = '';
  return {
    io: { stdout: { write: () => true }, stderr: { write: (text: string) => (stderr += text) } },
    stderr: () => stderr,
  };
}

describe('dispatchToBenchmarks', () => {
  it('runs the benchmarks program over its registry with the whole command line', async () => {
    const calls: unknown[] = [];
    const registry = [{ name: 'x' }];
    const modules: Record<string, unknown> = {
      [BENCHMARKS_CLI_MODULE]: {
        buildProgram: (benchmarks: readonly unknown[]) => ({
          parseAsync: async (argv: readonly string[]) => calls.push({ benchmarks, argv }),
        }),
      },
      [BENCHMARKS_REGISTRY_MODULE]: { BENCHMARKS: registry },
    };
    const { io } = capture();
    const code = await dispatchToBenchmarks(['bench', '--smoke', '--out', 'o'], io, async (name) => modules[name]);
    expect(code).toBe(0);
    expect(calls).toEqual([{ benchmarks: registry, argv: ['node', 'dpo-ts', 'bench', '--smoke', '--out', 'o'] }]);
  });

  it('maps commander exits and errors to exit codes', async () => {
    const fail = (error: unknown) => async (name: string) =>
      name === BENCHMARKS_CLI_MODULE
        ? { buildProgram: () => ({ parseAsync: async () => Promise.reject(error) }) }
        : { BENCHMARKS: [] };
    const usage = capture();
    expect(await dispatchToBenchmarks(['bench', '--bad'], usage.io, fail({ exitCode: 1 }))).toBe(2);
    expect(await dispatchToBenchmarks(['bench', '--help'], usage.io, fail({ exitCode: 0 }))).toBe(0);
    const failed = capture();
    expect(await dispatchToBenchmarks(['bench'], failed.io, fail(new Error('disk full')))).toBe(1);
    expect(failed.stderr()).toBe('dpo-ts: disk full\n');
  });

  it('says where the benchmarks come from when they are not installed', async () => {
    const { io, stderr } = capture();
    const missing = async (): Promise<never> => {
      throw Object.assign(new Error('Cannot find package'), { code: 'ERR_MODULE_NOT_FOUND' });
    };
    expect(await dispatchToBenchmarks(['bench', '--quick'], io, missing)).toBe(1);
    expect(stderr()).toContain(
      '"bench" is a command of the dpo-ts benchmarks (@dpo-ts/benchmarks/cli), which are not installed',
    );
    expect(stderr()).toContain('node benchmarks/dist/cli.js bench --quick');
  });
});
