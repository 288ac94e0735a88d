import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@dpo-ts/core/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CellResult } from '../harness/cells.js';
import { planDiffusionCells, type DiffusionCell } from './cell-plan.js';
import { reduceDiffusionComparison } from './reduce.js';
import { runDiffusionCell, type DiffusionCellResult } from './run-cell.js';
import { DIFFUSION_COMPARISON_SETTINGS, type DiffusionComparisonSettings } from './settings.js';
import { releaseComparisonContext } from './shared-context.js';

// Smoke's cells, shrunk to seconds: the payload carries the settings, so a worker runs what it is sent.
const TINY: DiffusionComparisonSettings = {
  ...DIFFUSION_COMPARISON_SETTINGS.smoke,
  pairs: 20,
  trainSteps: 2,
  batchSize: 4,
  ddpoSteps: 1,
  ddpoSamplesPerStep: 8,
  ddpoTrainBatchSize: 8,
  evalSamples: 40,
  classifierEpochs: 1,
};
const cells = planDiffusionCells('smoke', 3, [3]).map((cell) => ({
  ...cell,
  payload: { ...(cell.payload as DiffusionCell), settings: TINY },
}));
const context = { mode: 'smoke', seed: 3, seeds: [3], log: () => {} } as const;

/** Runs `order` of the cells, each result through JSON as through a queue, then forgets the process's shared state. */
async function runAll(order: readonly number[]): Promise<DiffusionCellResult[]> {
  const results: DiffusionCellResult[] = [];
  for (const i of order)
    results[i] = JSON.parse(JSON.stringify(await runDiffusionCell(cells[i]!.payload, context))) as DiffusionCellResult;
  await releaseComparisonContext();
  return results;
}

/** Everything but wall times (and the step logs, which hold them), which no two runs share. */
function withoutSeconds(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (key, inner) => (/seconds|^logs$/i.test(key) ? undefined : inner)));
}

describe('diffusion-comparison cells', () => {
  let outDir: string;
  let inOrder: DiffusionCellResult[];
  let tensorsBefore: number;
  beforeAll(async () => {
    await selectBackend({ backend: 'cpu', quiet: true });
    outDir = mkdtempSync(join(tmpdir(), 'dpo-ts-diffusion-cells-'));
    tensorsBefore = tf.memory().numTensors;
    inOrder = await runAll(cells.map((_, i) => i));
  }, 600_000);
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('gives the same results in any order, in a process that has not sampled the pairs (a fresh worker), and leaks nothing', async () => {
    // Methods first, pairs cell last: each method cell samples the pairs itself.
    const reversed = await runAll(cells.map((_, i) => cells.length - 1 - i));
    expect(withoutSeconds(reversed)).toEqual(withoutSeconds(inOrder));
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(inOrder.map((result) => result.tensorsLeaked)).toEqual([0, 0, 0, 0, 0]);
    expect(inOrder[0]!.pairs).toMatchObject({ reward: 'jpeg-compressibility', seed: 3, train: expect.any(Number) });
    expect(inOrder[0]!.pairs!.train + inOrder[0]!.pairs!.eval).toBe(inOrder[0]!.pairs!.kept);
    expect(inOrder.slice(1).map((result) => result.measurement!.method)).toEqual([
      'dpo-b5000',
      'ddpo',
      'sft-winners',
      'sft-losers',
    ]);
    // Every method is evaluated against the same base on the same noise.
    const base = new Set(inOrder.slice(1).map((result) => result.measurement!.baseMeanReward));
    expect(base.size).toBe(1);
    expect(inOrder[1]!.measurement!.compute.pairSeconds).toBe(inOrder[0]!.pairs!.seconds);
  });

  it('reduces to the report: tables, grids of the first seed, per-step logs, no failures', async () => {
    const results: CellResult[] = cells.map((cell, i) => ({ cell, result: inOrder[i] }));
    const report = await reduceDiffusionComparison(results, { ...context, outDir, backend: 'cpu' }, TINY);
    expect(report.failures).toEqual([]);
    const data = report.data as { measurements: unknown[]; pairs: unknown[]; seeds: number[] };
    expect(data.measurements).toHaveLength(4);
    expect(data.pairs).toEqual([inOrder[0]!.pairs]);
    expect(data.seeds).toEqual([3]);
    expect(report.images!.map((image) => image.file)).toEqual([
      'samples-jpeg-compressibility-all.png',
      'samples-jpeg-compressibility-dpo-b5000.png',
      'samples-jpeg-compressibility-ddpo.png',
      'samples-jpeg-compressibility-sft-winners.png',
      'samples-jpeg-compressibility-sft-losers.png',
    ]);
    for (const image of report.images!) expect(existsSync(join(outDir, image.file))).toBe(true);
    expect(readdirSync(join(outDir, 'logs')).sort()).toEqual(
      Object.keys(Object.assign({}, ...inOrder.map((result) => result.logs))).sort(),
    );
    expect(report.tables!.map((table) => table.rows.length)).toEqual([5, 1, 4]); // base + 4 methods; one pairs row; 4 methods x 1 seed

    const leaky = results.map((entry, i) =>
      i === 2 ? { ...entry, result: { ...inOrder[2]!, tensorsLeaked: 3 } } : entry,
    );
    const failed = await reduceDiffusionComparison(leaky, { ...context, outDir, backend: 'cpu' }, TINY);
    expect(failed.failures).toEqual(['tensor leak: 3 tensors left after the run (0 before, 3 after)']);
  });
});
