import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@dpo-ts/core/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { lossVariantsBenchmark } from './index.js';
import { runLossVariantCell, tabularTask } from './run-cell.js';
import {
  LOSS_VARIANTS_SETTINGS,
  type LossVariantCell,
  planLossVariantCells,
  validateLossVariantCell,
} from './settings.js';

const CELL: LossVariantCell = { variant: 'sigmoid', beta: 0.5, seed: 3, settings: LOSS_VARIANTS_SETTINGS.smoke };

describe('loss-variants cells', () => {
  beforeAll(() => selectBackend({ backend: 'cpu', quiet: true }));

  it('plans one cell per variant, beta and seed', () => {
    const cells = planLossVariantCells('quick', [0, 1]);
    expect(cells).toHaveLength(3 * 2 * 2);
    expect(cells[0]!.id).toBe('sigmoid/beta=0.1/seed=0');
    expect(new Set(cells.map((cell) => cell.id)).size).toBe(12);
  });

  it('labels pairs by the Bradley-Terry model of the true rewards', () => {
    const { rewards, batch } = tabularTask({ ...CELL, settings: { ...CELL.settings, pairs: 4000 } });
    let expected = 0;
    let agree = 0;
    batch.chosen.forEach((y, i) => {
      const c = batch.conditions[i]!;
      const z = batch.rejected[i]!;
      const gap = Math.abs(rewards[c]![y]! - rewards[c]![z]!);
      expected += 1 / (1 + Math.exp(-gap)); // P(the better one wins)
      if (rewards[c]![y]! > rewards[c]![z]!) agree += 1;
    });
    expect(Math.abs(agree - expected) / batch.chosen.length).toBeLessThan(0.03);
  });

  it('raises the true reward, moves away from the reference, is deterministic and leaks nothing', async () => {
    const before = tf.memory().numTensors;
    const first = await runLossVariantCell(CELL);
    expect(tf.memory().numTensors).toBe(before);
    expect(first.reward).toBeGreaterThan(first.referenceReward);
    expect(first.kl).toBeGreaterThan(0);
    expect(first.rankingAccuracy).toBeGreaterThan(0.5);
    expect(await runLossVariantCell(CELL)).toEqual(first);
  });

  it('refuses payloads with a bad field, naming it', () => {
    expect(() => validateLossVariantCell({ ...CELL, variant: 'kto' })).toThrow(
      'cell.variant must be one of sigmoid, ipo, hinge',
    );
    expect(() => validateLossVariantCell({ ...CELL, settings: { ...CELL.settings, steps: 0 } })).toThrow(
      'cell.settings.steps must be an integer > 0: got 0',
    );
  });

  it('reports every cell of the mode through run()', async () => {
    const result = await lossVariantsBenchmark.run({
      mode: 'smoke',
      outDir: '/nonexistent',
      seed: 0,
      seeds: [0],
      backend: 'cpu',
      log: () => {},
    });
    expect(result.tables[0]!.rows.map((row) => row.slice(0, 3))).toEqual([
      ['sigmoid', 0.5, 1],
      ['ipo', 0.5, 1],
    ]);
    expect(result.failures).toBeUndefined();
  });
});
