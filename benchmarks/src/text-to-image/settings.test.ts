import { describe, expect, it } from 'vitest';
import { planT2ICells, T2I_SETTINGS, validateT2ICell, type T2ICell } from './settings.js';

describe('planT2ICells', () => {
  it('plans the base, then per labeler three DPO runs per beta, SFT on winners and losers, DDPO and negated DDPO, for each seed used', () => {
    const cells = planT2ICells('full', [0, 1, 2, 3, 4], 'run-checkpoint:step-000001');
    const perSeed = 1 + 2 * (3 * T2I_SETTINGS.full.betas.length + 4);
    expect(cells).toHaveLength(3 * perSeed); // full uses 3 of the 5 seeds offered
    expect(cells.slice(0, 4).map((c) => c.id)).toEqual([
      'base/seed=0',
      'clip/dpo/beta=1000/seed=0',
      'clip/dpo-shuffled/beta=1000/seed=0',
      'clip/dpo-flipped/beta=1000/seed=0',
    ]);
    expect(new Set(cells.map((c) => c.id)).size).toBe(cells.length);
    for (const cell of cells) {
      expect(validateT2ICell(JSON.parse(JSON.stringify(cell.payload)))).toBeDefined();
      expect((cell.payload as T2ICell).base).toBe('run-checkpoint:step-000001');
    }
  });

  it('keeps the quick mode to one seed and a two-beta sweep (21 cells)', () => {
    expect(T2I_SETTINGS.quick.betas).toHaveLength(2);
    expect(planT2ICells('quick', [0, 1], 'b').map((c) => c.id)).toHaveLength(21);
  });
});

describe('validateT2ICell', () => {
  const cell = planT2ICells('smoke', [0], 'b')[1]!.payload as T2ICell;

  it('names the bad field, what it accepts and what it got', () => {
    expect(() => validateT2ICell({ ...cell, method: 'ppo' })).toThrow(/cell\.method.*ppo/);
    expect(() => validateT2ICell({ ...cell, base: undefined })).toThrow(/cell\.base/);
    expect(() => validateT2ICell({ ...cell, beta: null })).toThrow(/cell\.beta/);
    expect(() => validateT2ICell({ ...cell, method: 'ddpo' })).toThrow(/cell\.beta.*null for ddpo/);
    expect(() => validateT2ICell({ ...cell, labeler: 'vader' })).toThrow(/cell\.labeler/);
    expect(() => validateT2ICell({ ...cell, settings: { ...cell.settings, eta: 0 } })).toThrow(/cell\.settings\.eta/);
  });
});
