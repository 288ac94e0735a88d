import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatDuration } from './progress.js';
import { suiteReport } from './markdown.js';
import type { BenchmarkRecord, SuiteSummary } from './records.js';

/** One of the runs a merged run was made from, as `summary.json`'s `mergedFrom` lists it. */
export interface MergedRunSource {
  /** The run's folder, as given. */
  readonly dir: string;
  /** When it started (its environment's date). */
  readonly date: string;
  readonly wallSeconds: number;
  readonly benchmarks: readonly string[];
}

/** `summary.json` of a merged run: a suite summary plus where its benchmarks came from. */
export interface MergedSuiteSummary extends SuiteSummary {
  readonly mergedFrom: readonly MergedRunSource[];
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

/**
 * Merges finished runs of the same mode into one run folder, as if one `dpo-ts bench` had run
 * their benchmarks: each benchmark's folder is copied whole, `summary.json` lists them in the
 * order given (with `mergedFrom` naming every source run) and `report.md` is rewritten from
 * their `result.json` files. This is how long benchmarks run side by side, one process per
 * core (wasm runs one thread), and are still published as one page.
 *
 * The merged summary's environment is the first run's; every benchmark keeps its own
 * environment (commit, load, date) in its `result.json`. `wallSeconds` is the sum of the
 * benchmarks' wall times: the compute a sequential run would have taken here.
 *
 * @throws Error when fewer than two runs are given, a run lacks `summary.json` or a result, the
 *   modes differ, a benchmark appears in two runs, or `into` is not empty.
 */
export function mergeRuns(into: string, runDirs: readonly string[]): MergedSuiteSummary {
  if (runDirs.length < 2) throw new Error(`runDirs: expected at least 2 run folders to merge, got ${runDirs.length}`);
  if (existsSync(into) && readdirSync(into).length > 0)
    throw new Error(`into: expected an empty or absent folder, got ${into} with ${readdirSync(into).length} entries`);
  const summaries = runDirs.map((dir) => {
    const file = join(dir, 'summary.json');
    if (!existsSync(file)) throw new Error(`runDirs: ${dir} is not a benchmark run (no summary.json)`);
    return readJson<SuiteSummary>(file);
  });
  const mode = summaries[0]!.mode;
  summaries.forEach((summary, i) => {
    if (summary.mode !== mode)
      throw new Error(
        `runDirs: every run must have the same mode; ${runDirs[0]} is ${mode}, ${runDirs[i]} is ${summary.mode}`,
      );
  });
  const seen = new Map<string, string>();
  const records: BenchmarkRecord[] = [];
  summaries.forEach((summary, i) => {
    for (const entry of summary.benchmarks) {
      const earlier = seen.get(entry.name);
      if (earlier !== undefined)
        throw new Error(
          `runDirs: benchmark ${entry.name} is in both ${earlier} and ${runDirs[i]}; merge one run of each`,
        );
      seen.set(entry.name, runDirs[i]!);
      const resultFile = join(runDirs[i]!, entry.result);
      if (!existsSync(resultFile))
        throw new Error(`runDirs: ${runDirs[i]} lists ${entry.name} but ${resultFile} is missing`);
      records.push(readJson<BenchmarkRecord>(resultFile));
    }
  });
  mkdirSync(into, { recursive: true });
  summaries.forEach((summary, i) => {
    for (const entry of summary.benchmarks)
      cpSync(join(runDirs[i]!, entry.name), join(into, entry.name), { recursive: true });
  });
  const merged: MergedSuiteSummary = {
    format: 'dpo-ts.benchmark-summary',
    version: 1,
    ok: summaries.every((summary) => summary.ok),
    mode,
    environment: summaries[0]!.environment,
    wallSeconds: records.reduce((sum, record) => sum + record.wallSeconds, 0),
    benchmarks: summaries.flatMap((summary) => summary.benchmarks),
    mergedFrom: summaries.map((summary, i) => ({
      dir: runDirs[i]!,
      date: summary.environment.date,
      wallSeconds: summary.wallSeconds,
      benchmarks: summary.benchmarks.map((entry) => entry.name),
    })),
  };
  writeFileSync(join(into, 'summary.json'), `${JSON.stringify(merged, null, 2)}\n`);
  const sources = merged.mergedFrom
    .map(
      (source) =>
        `\`${source.benchmarks.join('`, `')}\` (started ${source.date}, ${formatDuration(source.wallSeconds)})`,
    )
    .join('; ');
  writeFileSync(
    join(into, 'report.md'),
    suiteReport(
      merged,
      records,
      `Merged from ${merged.mergedFrom.length} runs that ran side by side, one per core: ${sources}.`,
    ),
  );
  return merged;
}
