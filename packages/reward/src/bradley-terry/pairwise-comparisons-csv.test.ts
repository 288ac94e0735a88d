import { DataFormatError } from '@dpo-ts/core';
import { describe, expect, it } from 'vitest';
import { BASEBALL_1987_FIXTURE_URL, loadBaseball1987 } from './baseball-fixture.test-helper.js';
import { parsePairwiseComparisonsCsv, readPairwiseComparisonsCsv } from './pairwise-comparisons-csv.js';

describe('parsePairwiseComparisonsCsv', () => {
  it('parses rows by header name, with quotes, CRLF, a BOM and blank lines', () => {
    const text = '\uFEFFaway,home,awayWins,homeWins,ties\r\n"Team, Inc.", "Say ""hi""" ,1,2,0\r\n\r\n B , A ,0,3,1\r\n';
    expect(parsePairwiseComparisonsCsv(text, 'inline.csv')).toEqual([
      { home: 'Say "hi"', away: 'Team, Inc.', homeWins: 2, awayWins: 1, ties: 0 },
      { home: 'A', away: 'B', homeWins: 3, awayWins: 0, ties: 1 },
    ]);
  });

  it('leaves ties out when there is no ties column', () => {
    expect(parsePairwiseComparisonsCsv('home,away,homeWins,awayWins\nA,B,3,1', 'x.csv')).toEqual([
      { home: 'A', away: 'B', homeWins: 3, awayWins: 1 },
    ]);
  });

  const MALFORMED: [string, string, string][] = [
    ['an empty file', ' \n\n', 'bad.csv: file is empty'],
    ['a header without rows', 'home,away,homeWins,awayWins\n', 'bad.csv: no data rows after the header'],
    ['a missing column', 'home,away,homeWins\nA,B,1', 'bad.csv:1: missing column "awayWins"'],
    [
      'an unknown column',
      'home,away,homeWins,awayWins,tie\nA,B,1,2,0',
      'bad.csv:1: unknown column "tie": expected home, away, homeWins, awayWins, ties',
    ],
    ['a repeated column', 'home,home,homeWins,awayWins\nA,B,1,2', 'bad.csv:1: column "home" appears twice'],
    ['too few fields', 'home,away,homeWins,awayWins\nA,B,1,2\nA,C,1', 'bad.csv:3: expected 4 fields: got 3'],
    [
      'a negative count',
      'home,away,homeWins,awayWins\n\nA,B,-1,2',
      'bad.csv:3: field "homeWins" must be a non-negative integer: got "-1"',
    ],
    [
      'a fractional count',
      'home,away,homeWins,awayWins\nA,B,1,2.5',
      'bad.csv:2: field "awayWins" must be a non-negative integer: got "2.5"',
    ],
    [
      'an empty count',
      'home,away,homeWins,awayWins\nA,B,,2',
      'bad.csv:2: field "homeWins" must be a non-negative integer: got ""',
    ],
    [
      'an empty name',
      'home,away,homeWins,awayWins\n"",B,1,2',
      'bad.csv:2: field "home" must be a non-empty item name: got ""',
    ],
    [
      'a self-comparison',
      'home,away,homeWins,awayWins\nA,A,1,2',
      'bad.csv:2: field "away" must differ from "home": got "A" twice',
    ],
    ['an unbalanced quote', 'home,away,homeWins,awayWins\n"A,B,1,2', 'bad.csv:2: unbalanced double quote'],
    [
      'text after a quoted field',
      'home,away,homeWins,awayWins\n"A"x,B,1,2',
      'bad.csv:2: unexpected "x" after a quoted field',
    ],
  ];
  it.each(MALFORMED)('rejects %s with a DataFormatError naming file and line', (_, text, message) => {
    const parse = (): unknown => parsePairwiseComparisonsCsv(text, 'bad.csv');
    expect(parse).toThrow(DataFormatError);
    expect(parse).toThrow(message);
  });
});

describe('the 1987 baseball fixture', () => {
  it('has 42 rows: 7 teams, every ordered pair once, 13 games per pair, 273 games', async () => {
    const data = await loadBaseball1987();
    expect(data).toHaveLength(42);
    expect(new Set(data.map((row) => row.home)).size).toBe(7);
    expect(new Set(data.map((row) => `${row.home}|${row.away}`)).size).toBe(42);
    const games = new Map<string, number>();
    for (const row of data) {
      const pair = [row.home, row.away].sort().join('|');
      games.set(pair, (games.get(pair) ?? 0) + row.homeWins + row.awayWins);
    }
    expect([...games.values()].every((n) => n === 13)).toBe(true);
    // First row of BradleyTerry2's data frame, quoted in its vignette: Milwaukee 4-3 Detroit.
    expect(data[0]).toEqual({ home: 'Milwaukee', away: 'Detroit', homeWins: 4, awayWins: 3 });
    // Home sides won 154 and lost 119 (sum of the home.wins and away.wins columns).
    expect(data.reduce((sum, row) => sum + row.homeWins, 0)).toBe(154);
    expect(data.reduce((sum, row) => sum + row.awayWins, 0)).toBe(119);
  });

  it('readPairwiseComparisonsCsv accepts a path string as well as a URL', async () => {
    const { fileURLToPath } = await import('node:url');
    const path = fileURLToPath(BASEBALL_1987_FIXTURE_URL);
    expect(await readPairwiseComparisonsCsv(path)).toEqual(await loadBaseball1987());
  });

  it('readPairwiseComparisonsCsv refuses invalid UTF-8 at its line instead of reading U+FFFD', async () => {
    const [{ mkdtemp, rm, writeFile }, { tmpdir }, { join }] = await Promise.all([
      import('node:fs/promises'),
      import('node:os'),
      import('node:path'),
    ]);
    const dir = await mkdtemp(join(tmpdir(), 'dpo-ts-csv-'));
    const file = join(dir, 'latin1.csv');
    await writeFile(
      file,
      Buffer.concat([
        Buffer.from('home,away,homeWins,awayWins\nA,B,1,2\nCaf'),
        Buffer.from([0xe9]),
        Buffer.from(',B,3,4\n'),
      ]),
    );
    await expect(readPairwiseComparisonsCsv(file)).rejects.toThrow(`${file}:3: invalid UTF-8 at byte 3 of the line`);
    await rm(dir, { recursive: true, force: true });
  });
});
