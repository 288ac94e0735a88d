import type { ReportTable } from './benchmark.js';
import { describeBackend, type RunEnvironment } from './environment.js';
import type { BenchmarkRecord, SuiteSummary } from './records.js';
import { formatDuration } from './progress.js';

/**
 * A cell as Markdown: strings as given (pipes escaped, line breaks as spaces), null as `-`,
 * integers as they are, other numbers with 4 significant digits (at most one decimal from 100
 * up), non-finite numbers as `NaN` / `Inf`.
 */
export function formatCell(value: string | number | null): string {
  if (value === null) return '-';
  if (typeof value === 'string') return value.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Inf' : '-Inf';
  if (Number.isInteger(value)) return String(value);
  if (Math.abs(value) >= 100) return value.toFixed(1);
  return String(Number(value.toPrecision(4)));
}

/**
 * A {@link ReportTable} as GitHub Markdown: a bold title line, the table (numeric columns
 * right-aligned: a column whose non-null cells are all numbers), and the note below it.
 * Rows shorter than the header are padded with empty cells; longer rows are an error.
 * @throws Error naming the table and row when a row has more cells than columns.
 */
export function markdownTable(table: ReportTable): string {
  const width = table.columns.length;
  table.rows.forEach((row, i) => {
    if (row.length > width)
      throw new Error(`table "${table.title}": row ${i} has ${row.length} cells for ${width} columns`);
  });
  const numeric = table.columns.map((_, c) => {
    const cells = table.rows.map((row) => row[c]).filter((cell) => cell !== null && cell !== undefined);
    return cells.length > 0 && cells.every((cell) => typeof cell === 'number');
  });
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  const lines = [
    `**${table.title}**`,
    '',
    line(table.columns.map((column) => formatCell(column))),
    `|${numeric.map((right) => (right ? '---:' : '---')).join('|')}|`,
    ...table.rows.map((row) =>
      line(table.columns.map((_, c) => (c < row.length ? formatCell(row[c] as string | number | null) : ''))),
    ),
  ];
  if (table.note) lines.push('', table.note);
  return lines.join('\n');
}

/** The environment as one Markdown paragraph. */
export function environmentLine(environment: RunEnvironment): string {
  const commit = environment.gitCommit
    ? `${environment.gitCommit.slice(0, 10)}${environment.gitDirty ? ' (uncommitted changes)' : ''}`
    : 'unknown';
  return [
    `mode **${environment.mode}**`,
    `backend ${describeBackend(environment.backend)}`,
    `${environment.cpu}, ${environment.cores} cores, ${environment.memoryGiB} GiB${environment.loadAverage ? `, load average ${environment.loadAverage.join(' / ')} at start` : ''}`,
    // Trainers default to core's 'auto' worker count; the throughput section times 1 vs N.
    `training workers: auto, up to ${environment.cores} per step (one per core, capped by the step's micro-batches; 1 for models under 100k weights and for Diffusion-DPO)`,
    `Node ${environment.node}, tfjs ${environment.tfjs}`,
    `commit ${commit}`,
    `started ${environment.date}`,
    // The runner offers these; a benchmark may use fewer, and its own section says which.
    `seeds offered ${environment.seeds.join(', ')}`,
  ].join(' · ');
}

/** Options of {@link benchmarkSection}. */
export interface SectionOptions {
  /** `#` count of the section title. @defaultValue 1 */
  readonly headingLevel?: number;
  /** Prepended to every file link (`throughput/` in the suite report). @defaultValue '' */
  readonly linkPrefix?: string;
}

/**
 * One benchmark as Markdown: title, description, status and cost, findings, tables, plots (as
 * embedded SVG images) and the benchmark's own images (PNG links).
 */
export function benchmarkSection(record: BenchmarkRecord, options: SectionOptions = {}): string {
  const level = options.headingLevel ?? 1;
  const prefix = options.linkPrefix ?? '';
  const h = (depth: number) => '#'.repeat(level + depth);
  const parts: string[] = [`${h(0)} ${record.title}`, '', record.description, ''];
  const load = record.loadAverage ? ` · load average ${record.loadAverage.start} -> ${record.loadAverage.end}` : '';
  const chosenOn =
    typeof record.data.selectionSeed === 'number' ? ` (settings chosen on seed ${record.data.selectionSeed})` : '';
  const used = Array.isArray(record.data.seeds) ? ` · seeds used ${record.data.seeds.join(', ')}${chosenOn}` : '';
  const cost = `\`${record.name}\` · ${formatDuration(record.wallSeconds)} (expected ~${record.expectedMinutes} min)${used} · peak RSS ${Math.round(record.peakRssMiB)} MiB${load}`;
  parts.push(record.status === 'ok' ? `${cost} · ok` : `${cost} · **FAILED**`, '');
  if (record.error) parts.push(`**Error:** \`${record.error.message.replace(/`/g, "'").split('\n', 1)[0]}\``, '');
  if (record.failures.length)
    parts.push('**Failed checks:**', '', ...record.failures.map((failure) => `- ${failure}`), '');
  if (record.findings.length)
    parts.push(`${h(1)} Findings`, '', ...record.findings.map((finding) => `- ${finding}`), '');
  for (const table of record.tables) parts.push(markdownTable(table), '');
  for (const plot of record.plots) {
    if (plot.file) parts.push(`![${plot.title}](${prefix}${plot.file})`, '');
    else
      parts.push(
        `*Plot "${plot.title}" could not be rendered: ${plot.error ?? 'unknown error'} (spec: [${plot.specFile}](${prefix}${plot.specFile})).*`,
        '',
      );
  }
  for (const image of record.images)
    parts.push(`**${image.title}**`, '', `![${image.title}](${prefix}${image.file})`, '');
  parts.push(`Data: [result.json](${prefix}result.json)`, '');
  return parts.join('\n');
}

/** `<out>/<name>/report.md`: one benchmark with its environment. */
export function benchmarkReport(record: BenchmarkRecord): string {
  return `${benchmarkSection(record)}\n${environmentLine(record.environment)}\n`;
}

/**
 * `<out>/report.md`: the environment, a summary table of every benchmark (status, time,
 * expected time, peak RSS), then each benchmark's section with links into its folder. `note`
 * follows the total (a merged run says where its benchmarks came from).
 */
export function suiteReport(summary: SuiteSummary, records: readonly BenchmarkRecord[], note?: string): string {
  const overview: ReportTable = {
    title: 'Benchmarks of this run',
    columns: ['benchmark', 'status', 'time', 'expected', 'peak RSS (MiB)'],
    rows: summary.benchmarks.map((entry) => [
      `[${entry.title}](#${anchor(entry.title)}) (\`${entry.name}\`)`,
      entry.status === 'ok' ? 'ok' : `**failed**${entry.error ? `: ${entry.error.split('\n', 1)[0]}` : ''}`,
      formatDuration(entry.wallSeconds),
      `~${entry.expectedMinutes} min`,
      Math.round(entry.peakRssMiB),
    ]),
  };
  const parts = [
    `# dpo-ts benchmarks (${summary.mode} run)`,
    '',
    environmentLine(summary.environment),
    '',
    `Total ${formatDuration(summary.wallSeconds)}; ${summary.ok ? 'every benchmark finished' : '**some benchmarks failed**'}.${note ? ` ${note}` : ''}`,
    '',
    markdownTable(overview),
    '',
    ...records.map((record) => benchmarkSection(record, { headingLevel: 2, linkPrefix: `${record.name}/` })),
  ];
  return `${parts.join('\n').trimEnd()}\n`;
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
export function anchor(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .trim()
    .replace(/\s/g, '-');
}
