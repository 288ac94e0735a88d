import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CellResult } from '../harness/cells.js';
import { ZERO_COST } from './compute-cost.js';
import { SENTIMENT_EXPERIMENT_CONFIGS, type SentimentExperimentConfig } from './experiment-config.js';
import type { SentimentCell, SentimentCellResult } from './experiment-cells.js';
import { reduceSentimentExperiment } from './experiment-run.js';
import type { SeedBaseline } from './experiment-seed.js';
import type { MethodMeasurement } from './measure-method.js';

const guards = { nllPerToken: 3, realWordRate: 0.9, distinct1: 0.6, distinct2: 0.9, meanLength: 8, eosRate: 0.5 };
const measured = (labeler: number[], VADER: number[]): MethodMeasurement => ({
  perPrompt: { labeler, VADER, AFINN: labeler.map(() => 0) },
  kl: 1,
  klStandardError: 0.1,
  klSource: 'estimate',
  guards,
  samples: labeler.map(() => ({ prompt: 'p', completion: ' c' })),
  wallSeconds: 1,
});

describe('reduceSentimentExperiment', () => {
  it('chooses each setting on the selection seed and reports only the test seeds, per prompt', async () => {
    const base = mkdtempSync(join(tmpdir(), 'sentiment-card-'));
    writeFileSync(join(base, 'card.json'), JSON.stringify({ parameters: 1000 }));
    const config: SentimentExperimentConfig = {
      ...SENTIMENT_EXPERIMENT_CONFIGS.smoke,
      bootstrapResamples: 50,
      methods: { ...SENTIMENT_EXPERIMENT_CONFIGS.smoke.methods, learningRates: [1, 2], include: ['DPO'] },
    };
    const payload = (method: string | null, setting: string | null, seed = 0): SentimentCell => ({
      seed,
      method,
      setting,
      config,
      base: { dir: base, sha256: 'x' },
    });
    const baseline: SeedBaseline = {
      seed: 0,
      labeler: { heldOutAccuracy: 0.8, trainAccuracy: 0.9, testSentences: 600 },
      sft: { cost: ZERO_COST, lossBefore: 4, lossAfter: 3.9 },
      pairs: { count: 8, skippedPrompts: 0, labelQueries: 32, meanRewardGap: 1, cost: ZERO_COST },
      levers: [{ text: ' and', meanDelta: 0.2, shareRaised: 0.9 }],
      sftTest: measured([0, 1, 2], [0, 0, 0]),
      wallSeconds: 5,
    };
    const setting = (label: string, validation: number, test: number[]): SentimentCellResult => ({
      kind: 'setting',
      result: {
        method: 'DPO beta 0.1',
        setting: label,
        validation: { setting: label, labeler: validation, kl: 1, realWordRate: 0.9, flags: [] },
        test: measured(test, [0.1, 0.2, 0.3]),
        cost: { ...ZERO_COST, wallSeconds: 2 },
        details: {},
        leverShare: 0.25,
        rewardModel: null,
      },
      wallSeconds: 3,
      cpuSeconds: 1,
    });
    const cells: CellResult[] = [
      {
        cell: { id: 'a', payload: payload(null, null), estimateSeconds: 1 },
        result: { kind: 'seed', baseline, wallSeconds: 5, cpuSeconds: 2 },
      },
      {
        cell: { id: 'b', payload: payload('DPO beta 0.1', 'lr 1, beta 0.1'), estimateSeconds: 1 },
        result: setting('lr 1, beta 0.1', 0.1, [9, 9, 9]),
      },
      {
        cell: { id: 'c', payload: payload('DPO beta 0.1', 'lr 2, beta 0.1'), estimateSeconds: 1 },
        result: setting('lr 2, beta 0.1', 0.3, [7, 7, 7]),
      },
      // The test seed ran the chosen setting only.
      {
        cell: { id: 'd', payload: payload(null, null, 1), estimateSeconds: 1 },
        result: { kind: 'seed', baseline: { ...baseline, seed: 1 }, wallSeconds: 5, cpuSeconds: 2 },
      },
      {
        cell: { id: 'e', payload: payload('DPO beta 0.1', 'lr 2, beta 0.1', 1), estimateSeconds: 1 },
        result: setting('lr 2, beta 0.1', 0.2, [1, 2, 6]),
      },
    ];
    const lines: string[] = [];
    const report = await reduceSentimentExperiment(cells, {
      mode: 'smoke',
      outDir: base,
      seed: 0,
      seeds: [0],
      backend: undefined,
      log: (line) => lines.push(line),
    });
    const data = report.data as {
      seeds: number[];
      selectionSeed: number;
      summary: {
        seeds: number[];
        methods: {
          chosen: string[];
          gains: Record<string, { estimate: number }>;
          sweepCost: { wallSeconds: number };
        }[];
      };
      wallSeconds: number;
    };
    const [dpo] = data.summary.methods;
    // Validation picks lr 2 (0.3 > 0.1) although lr 1's test numbers are higher: test never chooses.
    expect(dpo!.chosen).toEqual(['lr 2, beta 0.1']);
    // Only test seed 1: per prompt (1-0, 2-1, 6-2) -> mean 2 (seed 0's 7s would give 4); VADER 0.2.
    expect(data.summary.seeds).toEqual([1]);
    expect(data.selectionSeed).toBe(0);
    expect(dpo!.gains.labeler!.estimate).toBeCloseTo(2, 10);
    expect(dpo!.gains.VADER!.estimate).toBeCloseTo(0.2, 10);
    // The sweep's cost is the selection seed's two settings.
    expect(dpo!.sweepCost.wallSeconds).toBe(4);
    expect(data.wallSeconds).toBe(19);
    expect(report.failures).toEqual([]);
    expect(report.tables[0]!.rows[0]![1]).toBe('lr 2, beta 0.1');
    const sweep = report.tables.find((table) => table.title.startsWith('Sweep on seed 0'))!;
    expect(sweep.rows.map((row) => row[1])).toEqual(['lr 1, beta 0.1', 'lr 2, beta 0.1 (chosen)']);
  });

  it('names a seed whose preparation is missing', async () => {
    const config = SENTIMENT_EXPERIMENT_CONFIGS.smoke;
    const dir = mkdtempSync(join(tmpdir(), 'sentiment-card-'));
    writeFileSync(join(dir, 'card.json'), JSON.stringify({ parameters: 1000 }));
    const cell = { seed: 4, method: 'DPO beta 0.1', setting: 'x', config, base: { dir, sha256: 'x' } };
    await expect(
      reduceSentimentExperiment([{ cell: { id: 'a', payload: cell, estimateSeconds: 1 }, result: {} }], {
        mode: 'smoke',
        outDir: tmpdir(),
        seed: 0,
        seeds: [3],
        backend: undefined,
        log: () => {},
      }),
    ).rejects.toThrow(/seed 3 has no preparation/);
  });

  it('names the test seeds when none has results', async () => {
    const config = SENTIMENT_EXPERIMENT_CONFIGS.smoke;
    const dir = mkdtempSync(join(tmpdir(), 'sentiment-card-'));
    writeFileSync(join(dir, 'card.json'), JSON.stringify({ parameters: 1000 }));
    const cell: SentimentCell = { seed: 0, method: null, setting: null, config, base: { dir, sha256: 'x' } };
    const baseline = { seed: 0, sftTest: measured([0], [0]) } as unknown as SeedBaseline;
    await expect(
      reduceSentimentExperiment(
        [{ cell: { id: 'a', payload: cell, estimateSeconds: 1 }, result: { kind: 'seed', baseline } }],
        { mode: 'smoke', outDir: tmpdir(), seed: 0, seeds: [0], backend: undefined, log: () => {} },
      ),
    ).rejects.toThrow(/no test seed \(1\) has results/);
  });
});
