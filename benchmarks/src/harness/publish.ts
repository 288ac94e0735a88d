import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, posix, relative, resolve, sep } from 'node:path';
import { describeBackend } from './environment.js';
import { formatDuration } from './progress.js';
import type { MergedSuiteSummary } from './merge-runs.js';
import type { SuiteSummary } from './records.js';

/** Options of {@link publishRun}. */
export interface PublishOptions {
  /** Folder for the plots, images and JSON files. @defaultValue 'docs/results' */
  readonly to?: string;
  /** The Markdown page to write. @defaultValue `<to>.md` (docs/results.md) */
  readonly report?: string;
}

/** What {@link publishRun} wrote. */
export interface PublishedRun {
  readonly report: string;
  readonly assetsDir: string;
  /** Files copied, relative to `assetsDir`. */
  readonly files: readonly string[];
}

/** Markdown link and image targets: `](target)` or `](target "title")`. */
const LINK = /\]\(([^)\s]+)((?:\s+"[^"]*")?)\)/g;

const isLocal = (target: string) =>
  !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith('#') && !target.startsWith('/');

/**
 * The banner on top of a published report: which run, on what machine, and, for anything but a
 * full run, that its sizes are small and its numbers indicative.
 */
export function publishBanner(summary: SuiteSummary & Partial<Pick<MergedSuiteSummary, 'mergedFrom'>>): string {
  const environment = summary.environment;
  const machine = `${environment.cpu}, ${environment.cores} cores, ${describeBackend(environment.backend)}`;
  const when = `${environment.date.slice(0, 10)} (commit ${environment.gitCommit?.slice(0, 10) ?? 'unknown'})`;
  const merged = summary.mergedFrom;
  const how = merged
    ? ` (${merged.length} runs side by side, one per core: ${merged.map((run) => run.benchmarks.join(' + ')).join('; ')}; merged with \`dpo-ts bench merge\`)`
    : '';
  if (summary.mode === 'full')
    return `> Last full run: ${when} on ${machine}; ${formatDuration(summary.wallSeconds)} of benchmark time in all${how}. Regenerate with \`npm run bench:full\` then \`dpo-ts bench publish out/bench-full\`.`;
  return (
    `> **This is a ${summary.mode} run, not a full run**: ${when} on ${machine}, ${formatDuration(summary.wallSeconds)} in all. ` +
    `${summary.mode} runs use small sizes and few seeds; the numbers show that everything works and roughly how it compares, ` +
    'not the published results. A full run (`npm run bench:full`, hours) replaces this page when published.'
  );
}

/**
 * Copies a run's report into the docs: every local file the report links (SVG plots, PNG
 * images, result.json files) goes to `to` under the same relative path, `summary.json` with
 * them, and the report is rewritten so its links point there from the report's folder, with a
 * banner naming the run ({@link publishBanner}). The previous contents of `to` are removed
 * first, so the page shows one run only; `to` must be empty, absent or a previous publication
 * (it holds a `summary.json`).
 *
 * @throws Error when `<outDir>/report.md` or `summary.json` is missing, or `to` holds other files.
 */
export function publishRun(outDir: string, options: PublishOptions = {}): PublishedRun {
  const to = options.to ?? join('docs', 'results');
  const reportPath = options.report ?? `${to.replace(/[\\/]+$/, '')}.md`;
  const sourceReport = join(outDir, 'report.md');
  const summaryPath = join(outDir, 'summary.json');
  if (!existsSync(sourceReport) || !existsSync(summaryPath))
    throw new Error(`${outDir} is not a benchmark run: report.md and summary.json are required`);
  const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as SuiteSummary;
  if (existsSync(to) && readdirSync(to).length > 0 && !existsSync(join(to, 'summary.json'))) {
    throw new Error(`refusing to replace ${to}: it is not empty and holds no summary.json of an earlier publication`);
  }
  rmSync(to, { recursive: true, force: true });
  mkdirSync(to, { recursive: true });

  const files = new Set<string>(['summary.json']);
  copyFileSync(summaryPath, join(to, 'summary.json'));
  const fromReport = relative(dirname(resolve(reportPath)), resolve(to))
    .split(sep)
    .join('/');
  const markdown = readFileSync(sourceReport, 'utf8').replace(LINK, (whole, target: string, title: string) => {
    if (!isLocal(target)) return whole;
    const file = normalize(decodeURI(target)).split(sep).join('/');
    if (file.startsWith('..') || !existsSync(join(outDir, file))) return whole;
    if (!files.has(file)) {
      mkdirSync(dirname(join(to, file)), { recursive: true });
      copyFileSync(join(outDir, file), join(to, file));
      files.add(file);
    }
    return `](${posix.join(fromReport || '.', file)}${title})`;
  });
  mkdirSync(dirname(resolve(reportPath)), { recursive: true });
  // The banner goes under the report's title.
  const [title, ...rest] = markdown.split('\n');
  const page = title?.startsWith('# ')
    ? [title, '', publishBanner(summary), ...rest]
    : [publishBanner(summary), '', markdown];
  writeFileSync(reportPath, page.join('\n'));
  return { report: reportPath, assetsDir: to, files: [...files] };
}
