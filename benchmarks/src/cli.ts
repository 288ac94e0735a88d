#!/usr/bin/env node
/**
 * `dpo-ts`: the command line of the benchmark suite.
 *
 *   dpo-ts bench [names...] [--smoke|--quick|--full] [--out dir] [--backend name] [--seed n]
 *   dpo-ts bench list
 *   dpo-ts bench publish <out> [--to docs/results] [--report docs/results.md]
 *   dpo-ts bench merge <into> <runs...>
 *   dpo-ts bench [names...] --queue redis://host:6379   (cells as jobs; see docs/queue.md)
 *   dpo-ts bench [names...] --store <dir>               (cells here, results kept by input hash: resumable)
 *   dpo-ts worker --queue redis://host:6379 [--concurrency n]
 *   dpo-ts jobs reference-scores|pairs ... [--queue redis://host:6379]   (data jobs; docs/queue.md)
 *
 * Exit code 1 when a benchmark failed (the others' results are still written), 2 for bad
 * arguments, 130 when interrupted.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { BackendRequest } from '@dpo-ts/core/backend';
import type { Benchmark, BenchmarkMode } from './harness/benchmark.js';
import { markdownTable } from './harness/markdown.js';
import { mergeRuns } from './harness/merge-runs.js';
import { publishRun } from './harness/publish.js';
import { runSuite } from './harness/runner.js';
import { selectBenchmarks } from './harness/select-benchmarks.js';
import { addDataJobCommands } from './data-jobs/cli-data-jobs.js';
import { addImagePairsCommand } from './data-jobs/cli-image-pairs.js';

const BACKENDS = ['auto', 'wasm', 'cpu', 'webgpu', 'tensorflow'] as const;

/**
 * `dpo-ts worker`'s job lock, ms (BullMQ's default is 30 s). A tfjs loop whose awaits resolve as
 * microtasks (wasm and cpu `data()`) lets no timer run, so the lock renewal waits for it: the
 * sentiment cells' sampling went over 30 s and lost its lock. Ten minutes covers every cell; a
 * dead worker's job is retried after it.
 */
const WORKER_LOCK_MILLISECONDS = 600_000;

function parseSeed(value: string): number {
  const seed = Number(value);
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1)
    throw new InvalidArgumentError(`an integer in [0, 2^32): got ${value}`);
  return seed;
}

function parseCount(value: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1) throw new InvalidArgumentError(`an integer >= 1: got ${value}`);
  return count;
}

/** The `list` output: names, descriptions and expected minutes per mode, as a Markdown table. */
export function listBenchmarks(benchmarks: readonly Benchmark[]): string {
  return markdownTable({
    title: 'dpo-ts benchmarks (expected minutes on 2 CPU cores)',
    columns: ['name', 'smoke', 'quick', 'full', 'what it measures'],
    rows: benchmarks.map((b) => [
      b.name,
      b.expectedMinutes.smoke,
      b.expectedMinutes.quick,
      b.expectedMinutes.full,
      b.description,
    ]),
    note: 'Run one or more: `dpo-ts bench <name>... [--smoke|--quick|--full]`; no names runs them all.',
  });
}

/**
 * Builds the `dpo-ts` program over a registry of benchmarks (tests pass their own).
 * `print` receives the output of `list` and `publish`; progress lines go through the runner;
 * `writeErr` receives commander's usage errors (default: stderr).
 */
export function buildProgram(
  benchmarks: readonly Benchmark[],
  print: (line: string) => void = (line) => console.log(line),
  writeErr?: (text: string) => void,
): Command {
  const program = new Command('dpo-ts')
    .description('dpo-ts command line: the benchmark suite')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  if (writeErr) program.configureOutput({ writeErr });
  const bench = program
    .command('bench')
    .description('run benchmarks (all when no names are given) and write results, plots and reports')
    .argument('[names...]', `benchmarks to run: ${benchmarks.map((b) => b.name).join(', ')}`)
    .addOption(new Option('--smoke', 'tiny sizes, every code path, minutes in all (CI)').conflicts(['quick', 'full']))
    .addOption(
      new Option(
        '--quick',
        'the default: the whole suite in under 15 minutes on 2 cores (about 9.5 min measured)',
      ).conflicts(['full']),
    )
    .addOption(new Option('--full', 'the published sizes (hours)'))
    .option('--out <dir>', 'output folder', 'out/bench')
    .addOption(new Option('--backend <name>', 'tfjs backend (default: DPO_TS_BACKEND, else auto)').choices(BACKENDS))
    .option('--seed <n>', 'base seed', parseSeed, 0)
    .option('--queue <url>', 'run benchmark cells as jobs on this Redis (redis:// or rediss://) for `dpo-ts worker`s')
    .addOption(
      new Option(
        '--store <dir>',
        'run benchmark cells here and keep each result in this folder by the hash of its inputs: a rerun resumes (--queue keeps them in <out>/job-results)',
      ).conflicts('queue'),
    )
    .action(
      async (
        names: string[],
        options: {
          smoke?: boolean;
          quick?: boolean;
          full?: boolean;
          out: string;
          backend?: BackendRequest;
          seed: number;
          queue?: string;
          store?: string;
        },
      ) => {
        const mode: BenchmarkMode = options.smoke ? 'smoke' : options.full ? 'full' : 'quick';
        let selected: Benchmark[];
        try {
          selected = selectBenchmarks(benchmarks, names);
        } catch (error) {
          bench.error((error as Error).message, { exitCode: 2 });
        }
        const backend = options.backend ?? (process.env.DPO_TS_BACKEND as BackendRequest | undefined);
        const controller = new AbortController();
        const interrupt = () => {
          if (controller.signal.aborted) process.exit(130);
          console.error('dpo-ts bench: interrupted; finishing the current step (Ctrl-C again to quit now)');
          controller.abort();
        };
        process.on('SIGINT', interrupt);
        try {
          const summary = await runSuite({
            benchmarks: selected!,
            mode,
            outDir: options.out,
            seed: options.seed,
            signal: controller.signal,
            ...(backend ? { backend } : {}),
            ...(options.store === undefined
              ? {}
              : {
                  cellRunner: (await import('./queue/cli-store.js')).storeCellRunner({
                    dir: options.store,
                    backend: backend ?? 'auto',
                    benchmarks,
                    log: print,
                  }),
                }),
            ...(options.queue === undefined
              ? {}
              : {
                  cellRunner: (await import('./queue/cli-queue.js')).benchCellRunner({
                    url: options.queue,
                    out: options.out,
                    backend: backend ?? 'auto',
                    benchmarks,
                    log: print,
                  }),
                }),
          });
          process.exitCode = controller.signal.aborted ? 130 : summary.ok ? 0 : 1;
        } finally {
          process.off('SIGINT', interrupt);
        }
      },
    );
  bench
    .command('list')
    .description('list the benchmarks with their expected minutes per mode')
    .action(() => print(listBenchmarks(benchmarks)));
  bench
    .command('publish')
    .description("copy a run's report, plots and images into the docs (links rewritten)")
    .argument('<out>', 'the folder of a finished run (holds report.md and summary.json)')
    .option('--to <dir>', 'folder for plots, images and JSON', 'docs/results')
    .option('--report <file>', 'the Markdown page to write (default: <to>.md)')
    .action((out: string, options: { to: string; report?: string }) => {
      const published = publishRun(out, { to: options.to, ...(options.report ? { report: options.report } : {}) });
      print(`published ${out} -> ${published.report} (${published.files.length} files in ${published.assetsDir})`);
    });
  bench
    .command('merge')
    .description(
      'merge finished runs of the same mode (e.g. long benchmarks run side by side, one per core) into one run folder',
    )
    .argument('<into>', 'the merged run folder (empty or absent)')
    .argument('<runs...>', 'run folders, each with summary.json; their benchmarks in this order')
    .action((into: string, runs: string[]) => {
      const merged = mergeRuns(into, runs);
      print(`merged ${runs.length} runs (${merged.benchmarks.map((entry) => entry.name).join(', ')}) -> ${into}`);
    });
  program
    .command('worker')
    .description('run benchmark cells and data jobs from a Redis queue until interrupted (see docs/queue.md)')
    .requiredOption('--queue <url>', 'Redis URL: redis://[user:password@]host:port, rediss:// for TLS')
    .option('--concurrency <n>', 'jobs at once in this process (one process per core is better)', parseCount, 1)
    .option(
      '--lock-ms <ms>',
      "job lock and stalled-check interval, ms: longer than a cell's longest stretch without yielding; a dead worker's job is retried after it",
      parseCount,
      WORKER_LOCK_MILLISECONDS,
    )
    .action(async (options: { queue: string; concurrency: number; lockMs: number }) => {
      await (await import('./queue/cli-queue.js')).runWorkerCommand({
        url: options.queue,
        concurrency: options.concurrency,
        benchmarks,
        print,
        lockMilliseconds: options.lockMs,
      });
    });
  addImagePairsCommand(addDataJobCommands(program, print), print);
  return program;
}

async function main(): Promise<void> {
  const { BENCHMARKS } = await import('./registry.js');
  try {
    await buildProgram(BENCHMARKS).parseAsync(process.argv);
  } catch (error) {
    const code = (error as { exitCode?: number; code?: string }).exitCode;
    if (code !== undefined) {
      // commander already printed help or the error; 0 for --help and --version.
      process.exitCode = code === 0 ? 0 : 2;
      return;
    }
    console.error(`dpo-ts: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

/** Whether this module is the process's entry point (also through the `dpo-ts` bin symlink). */
function isEntryPoint(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntryPoint()) await main();
