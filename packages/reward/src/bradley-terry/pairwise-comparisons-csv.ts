import { DataFormatError } from '@dpo-ts/core';
import { decodeUtf8Text } from '@dpo-ts/core/data';
import type { PairwiseComparison } from './pairwise-comparisons.js';

/** Columns a pairwise-comparisons CSV must have; `ties` may be added. Any order. */
export const PAIRWISE_COMPARISON_CSV_COLUMNS = ['home', 'away', 'homeWins', 'awayWins'] as const;

const OPTIONAL_COLUMNS = ['ties'] as const;
type Column = (typeof PAIRWISE_COMPARISON_CSV_COLUMNS)[number] | (typeof OPTIONAL_COLUMNS)[number];

/**
 * Parses pairwise-comparison counts from CSV text: a header row naming the columns
 * `home,away,homeWins,awayWins[,ties]` (any order), then one comparison per row.
 *
 * RFC 4180 quoting within a line (`"Team, Inc."`, `""` for a quote); unquoted fields are trimmed;
 * blank lines are skipped; CRLF and a UTF-8 byte-order mark are accepted. Unknown columns are
 * rejected rather than ignored, so a misspelt `ties` column cannot drop ties silently.
 *
 * @param text the file's contents.
 * @param file the name used in error messages.
 * @returns one {@link PairwiseComparison} per data row, in file order (`ties` only when the column exists).
 * @throws DataFormatError with the file and 1-based line: empty file, missing or unknown or
 *   repeated column, wrong number of fields, unbalanced quotes, empty item name, an item compared
 *   with itself, a count that is not a non-negative integer.
 * @example
 * parsePairwiseComparisonsCsv('home,away,homeWins,awayWins\nA,B,3,1\n', 'inline.csv');
 * // [{ home: 'A', away: 'B', homeWins: 3, awayWins: 1 }]
 */
export function parsePairwiseComparisonsCsv(text: string, file: string): PairwiseComparison[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const headerIndex = lines.findIndex((line) => line.trim() !== '');
  if (headerIndex < 0) throw new DataFormatError(file, 0, 'file is empty');
  const header = splitCsvLine(lines[headerIndex] ?? '', file, headerIndex + 1);
  const position = new Map<Column, number>();
  header.forEach((name, k) => {
    if (!isColumn(name)) {
      throw new DataFormatError(
        file,
        headerIndex + 1,
        `unknown column ${JSON.stringify(name)}: expected ${[...PAIRWISE_COMPARISON_CSV_COLUMNS, ...OPTIONAL_COLUMNS].join(', ')}`,
      );
    }
    if (position.has(name))
      throw new DataFormatError(file, headerIndex + 1, `column ${JSON.stringify(name)} appears twice`);
    position.set(name, k);
  });
  for (const required of PAIRWISE_COMPARISON_CSV_COLUMNS) {
    if (!position.has(required))
      throw new DataFormatError(file, headerIndex + 1, `missing column ${JSON.stringify(required)}`);
  }

  const rows: PairwiseComparison[] = [];
  for (let index = headerIndex + 1; index < lines.length; index++) {
    const line = lines[index] ?? '';
    if (line.trim() === '') continue;
    const lineNumber = index + 1;
    const fields = splitCsvLine(line, file, lineNumber);
    if (fields.length !== header.length) {
      throw new DataFormatError(file, lineNumber, `expected ${header.length} fields: got ${fields.length}`);
    }
    const field = (column: Column): string => fields[position.get(column) ?? -1] ?? '';
    const name = (column: 'home' | 'away'): string => {
      const value = field(column);
      if (value === '')
        throw new DataFormatError(file, lineNumber, `field "${column}" must be a non-empty item name: got ""`);
      return value;
    };
    const count = (column: Column): number => {
      const value = field(column);
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
        throw new DataFormatError(
          file,
          lineNumber,
          `field "${column}" must be a non-negative integer: got ${JSON.stringify(value)}`,
        );
      }
      return Number(value);
    };
    const home = name('home');
    const away = name('away');
    if (home === away) {
      throw new DataFormatError(
        file,
        lineNumber,
        `field "away" must differ from "home": got ${JSON.stringify(away)} twice`,
      );
    }
    const row = { home, away, homeWins: count('homeWins'), awayWins: count('awayWins') };
    rows.push(position.has('ties') ? { ...row, ties: count('ties') } : row);
  }
  if (rows.length === 0) throw new DataFormatError(file, 0, 'no data rows after the header');
  return rows;
}

/**
 * Reads and parses a pairwise-comparisons CSV file (Node only; `node:fs` is loaded on first
 * call, so importing this module stays browser-safe). See {@link parsePairwiseComparisonsCsv}.
 * @param path a file path or `file:` URL.
 * @throws DataFormatError on malformed content, invalid UTF-8 included (with its line); the file
 *   system's error if it cannot be read.
 */
export async function readPairwiseComparisonsCsv(path: string | URL): Promise<PairwiseComparison[]> {
  const [{ readFile }, { fileURLToPath }] = await Promise.all([import('node:fs/promises'), import('node:url')]);
  const file = path instanceof URL ? fileURLToPath(path) : path;
  // Strict UTF-8: invalid bytes are a DataFormatError at their line, not U+FFFD in a team name.
  return parsePairwiseComparisonsCsv(decodeUtf8Text(await readFile(file), file), file);
}

function isColumn(name: string): name is Column {
  return (
    (PAIRWISE_COMPARISON_CSV_COLUMNS as readonly string[]).includes(name) ||
    (OPTIONAL_COLUMNS as readonly string[]).includes(name)
  );
}

/** Splits one CSV line into fields: RFC 4180 quotes, unquoted fields trimmed. */
function splitCsvLine(line: string, file: string, lineNumber: number): string[] {
  const fields: string[] = [];
  let k = 0;
  for (;;) {
    while (line[k] === ' ' || line[k] === '\t') k++;
    let value: string;
    if (line[k] === '"') {
      value = '';
      k++;
      for (;;) {
        const quote = line.indexOf('"', k);
        if (quote < 0) throw new DataFormatError(file, lineNumber, 'unbalanced double quote');
        value += line.slice(k, quote);
        k = quote + 1;
        if (line[k] !== '"') break;
        value += '"';
        k++;
      }
      while (line[k] === ' ' || line[k] === '\t') k++;
      if (k < line.length && line[k] !== ',') {
        throw new DataFormatError(file, lineNumber, `unexpected ${JSON.stringify(line[k])} after a quoted field`);
      }
    } else {
      const comma = line.indexOf(',', k);
      const end = comma < 0 ? line.length : comma;
      value = line.slice(k, end).trim();
      k = end;
    }
    fields.push(value);
    if (k >= line.length) return fields;
    k++; // skip the comma
  }
}
