import { describe, expect, it } from 'vitest';
import { diffusionCellEstimate, planDiffusionCells, validateDiffusionCell, type DiffusionCell } from './cell-plan.js';
import { DIFFUSION_COMPARISON_SETTINGS } from './settings.js';
import { WORK_RATES, estimatedSeconds, planComparison } from './work-plan.js';
import { methodSpecs } from './methods.js';

describe('planDiffusionCells', () => {
  it('plans, per reward and seed, the pairs cell then every method, in report order', () => {
    const cells = planDiffusionCells('full', 7, [0, 1, 2]);
    // 2 rewards x 3 seeds x (pairs + DPO at 3 beta + DDPO + SFT winners + SFT losers)
    expect(cells).toHaveLength(2 * 3 * 7);
    expect(cells.slice(0, 8).map((c) => c.id)).toEqual([
      'jpeg-compressibility/pairs/seed=0',
      'jpeg-compressibility/dpo-b2500/seed=0',
      'jpeg-compressibility/dpo-b5000/seed=0',
      'jpeg-compressibility/dpo-b10000/seed=0',
      'jpeg-compressibility/ddpo/seed=0',
      'jpeg-compressibility/sft-winners/seed=0',
      'jpeg-compressibility/sft-losers/seed=0',
      'jpeg-compressibility/pairs/seed=1',
    ]);
    expect(cells.at(-1)!.id).toBe('jpeg-incompressibility/sft-losers/seed=2');
    expect(new Set(cells.map((c) => c.id)).size).toBe(cells.length);
    const payload = cells[9]!.payload as DiffusionCell;
    expect(payload).toMatchObject({ rewardIndex: 0, seed: 1, seedIndex: 1, seedCount: 3, runSeed: 7 });
    for (const cell of cells) expect(validateDiffusionCell(JSON.parse(JSON.stringify(cell.payload)))).toBeDefined();
  });

  it('estimates the same total as the in-process work plan, less the classifier each process trains', () => {
    const settings = DIFFUSION_COMPARISON_SETTINGS.full;
    const cells = planDiffusionCells('full', 0, [0, 1, 2]);
    const total = cells.reduce((sum, cell) => sum + cell.estimateSeconds, 0);
    const planned = estimatedSeconds(planComparison(settings, [0, 1, 2], methodSpecs(settings)));
    expect(total).toBeCloseTo(planned - settings.classifierEpochs * WORK_RATES.classifierEpoch, 6);
    // The pairs cell: 2 images per pair at WORK_RATES.pairImage.
    expect(diffusionCellEstimate(cells[0]!.payload as DiffusionCell)).toBeCloseTo(2 * 8000 * 0.0035, 6);
  });

  it('keeps smoke and quick to one reward and one seed', () => {
    expect(planDiffusionCells('smoke', 0, [3, 4]).map((c) => c.id)).toEqual([
      'jpeg-compressibility/pairs/seed=3',
      'jpeg-compressibility/dpo-b5000/seed=3',
      'jpeg-compressibility/ddpo/seed=3',
      'jpeg-compressibility/sft-winners/seed=3',
      'jpeg-compressibility/sft-losers/seed=3',
    ]);
    expect(planDiffusionCells('quick', 0, [0])).toHaveLength(6);
  });
});

describe('validateDiffusionCell', () => {
  const cell = planDiffusionCells('smoke', 0, [0])[1]!.payload as DiffusionCell;

  it('accepts a planned cell and names the bad field, what it accepts and what it got', () => {
    expect(validateDiffusionCell(cell)).toBe(cell);
    expect(() => validateDiffusionCell(null)).toThrow(/cell must be an object/);
    expect(() => validateDiffusionCell({ ...cell, reward: 'aesthetic' })).toThrow(/cell\.reward.*aesthetic/);
    expect(() => validateDiffusionCell({ ...cell, seed: -1 })).toThrow(/cell\.seed.*-1/);
    expect(() => validateDiffusionCell({ ...cell, seedCount: 0 })).toThrow(/cell\.seedCount/);
    expect(() => validateDiffusionCell({ ...cell, method: { id: 'x', kind: 'ppo' } })).toThrow(
      /cell\.method\.kind.*ppo/,
    );
    expect(() => validateDiffusionCell({ ...cell, method: { id: 'dpo', kind: 'dpo' } })).toThrow(/cell\.method\.beta/);
    expect(() => validateDiffusionCell({ ...cell, rewardIndex: 1 })).toThrow(/cell\.settings\.rewards/);
    expect(() => validateDiffusionCell({ ...cell, settings: { ...cell.settings, pairs: 1.5 } })).toThrow(
      /cell\.settings\.pairs.*1\.5/,
    );
    expect(() => validateDiffusionCell({ ...cell, settings: { ...cell.settings, learningRate: 0 } })).toThrow(
      /cell\.settings\.learningRate/,
    );
    expect(validateDiffusionCell({ ...cell, method: null })).toBeDefined();
  });
});
