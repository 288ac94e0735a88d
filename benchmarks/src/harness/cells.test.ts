import { describe, expect, it } from 'vitest';
import type { BenchmarkContext } from './benchmark.js';
import { type BenchmarkCell, type CellBenchmark, type CellResult, runCellsInProcess, runCellStages } from './cells.js';

const cell = (id: string, payload: number): BenchmarkCell => ({ id, payload, estimateSeconds: 1 });

/** Stage 1 squares 1..3; stage 2 adds one cell per stage-1 result above 3; nothing after that. */
function staged(): CellBenchmark & { readonly stages: number[] } {
  const stages: number[] = [];
  return {
    name: 'staged',
    title: 'staged',
    description: 'a two-stage plan',
    expectedMinutes: { smoke: 0, quick: 0, full: 0 },
    stages,
    plan: () => [cell('a', 1), cell('b', 2), cell('c', 3)],
    planNext: (_context, done) => {
      stages.push(done.length);
      if (done.length > 3) return [];
      return done.filter((r) => (r.result as number) > 3).map((r) => cell(`${r.cell.id}+`, r.result as number));
    },
    validateCell: () => {},
    runCell: async (payload) => (payload as number) ** 2,
    reduce: async (cells) => ({
      data: { cells: cells.map((c) => [c.cell.id, c.result]) },
      tables: [],
      plots: [],
      images: [],
      findings: [],
      failures: [],
    }),
    run: () => Promise.reject(new Error('not used')),
  };
}

const context = { mode: 'smoke', seed: 0, seeds: [0], log: () => {} } as const;

describe('runCellStages', () => {
  it('runs each stage after the one it depends on, results in plan order, until a stage is empty', async () => {
    const benchmark = staged();
    const batches: string[][] = [];
    const results = await runCellStages(
      benchmark,
      async (b, cells, c) => {
        batches.push(cells.map((x) => x.id));
        return Promise.all(cells.map(async (x) => ({ cell: x, result: await b.runCell(x.payload, c) })));
      },
      context,
    );
    // 1, 4, 9 -> stage 2 for b (4) and c (9): 16, 81.
    expect(batches).toEqual([
      ['a', 'b', 'c'],
      ['b+', 'c+'],
    ]);
    expect(results.map((r) => r.result)).toEqual([1, 4, 9, 16, 81]);
    expect(benchmark.stages).toEqual([3, 5]);
  });

  it('refuses a stage that plans a cell id again', async () => {
    const benchmark: CellBenchmark = { ...staged(), planNext: (_c, done) => (done.length < 6 ? [cell('a', 1)] : []) };
    await expect(
      runCellStages(benchmark, async (_b, cells) => cells.map((x): CellResult => ({ cell: x, result: 0 })), context),
    ).rejects.toThrow(/cell a is planned twice/);
  });

  it('runs every stage in process too', async () => {
    const report = await runCellsInProcess(staged(), {
      ...context,
      outDir: '/nonexistent',
      backend: undefined,
    } as BenchmarkContext);
    expect(report.data.cells).toEqual([
      ['a', 1],
      ['b', 4],
      ['c', 9],
      ['b+', 16],
      ['c+', 81],
    ]);
  });
});
