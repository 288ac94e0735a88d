import { describe, expect, it } from 'vitest';
import { summarizeT2I, type FinishedCell } from './collect.js';
import type { ModelEvaluation } from './evaluate-model.js';
import type { T2ICellResult } from './run-cell.js';
import { T2I_SETTINGS, type T2ICell, type T2IMethod } from './settings.js';

const settings = { ...T2I_SETTINGS.smoke, betas: [1000, 2000], testCaptions: 2, resamples: 50 };

/** An evaluation of 2 test captions x 1 image: the style labeler's validation scores and the style oracle's test logits. */
function evaluation(validation: number[], styleOracle: number[]): ModelEvaluation {
  return {
    validation: { clip: [0, 0], style: validation },
    test: { captions: ['a', 'b'], clipOracle: [0, 0], styleOracle, retrievalHit: [0, 0] },
    kernelDistance: 1,
    frechetDistance: 1,
    grid: '',
    sampleSeconds: 0,
  };
}

function cell(method: T2IMethod, beta: number | null, validation: number[], styleOracle: number[]): FinishedCell {
  const payload: T2ICell = {
    base: 'run-checkpoint:step-000001',
    method,
    labeler: method === 'base' ? null : 'style',
    beta,
    seed: 0,
    settings,
  };
  const result: T2ICellResult = {
    evaluation: evaluation(validation, styleOracle),
    trainSeconds: 1,
    details: {},
    seconds: 1,
  };
  return { cell: payload, result };
}

describe('summarizeT2I', () => {
  const cells = [
    cell('base', null, [0, 0], [-1, -1]),
    // beta 1000: validation gain 0.5; beta 2000: gain 1.5 -> 2000 is chosen, although 1000 looks better on test.
    cell('dpo', 1000, [0.5, 0.5], [1, 1]),
    cell('dpo-shuffled', 1000, [0, 0], [-1, -1]),
    cell('dpo-flipped', 1000, [0, 0], [-1, -1]),
    cell('dpo', 2000, [1, 2], [1, -2]),
    cell('dpo-shuffled', 2000, [0, 0], [1, -2]),
    cell('dpo-flipped', 2000, [-1, -1], [-2, -2]),
    cell('sft-winners', null, [0, 0], [-1, -1]),
    cell('sft-losers', null, [0, 0], [-2, 1]),
    cell('ddpo', null, [0, 0], [-1, -1]),
    cell('ddpo-negated', null, [0, 0], [-3, 0]),
  ];

  it('chooses beta on the labeler’s validation gain and reports the controls at that beta', () => {
    const summary = summarizeT2I(cells, settings);
    expect(summary.chosenBeta.style).toBe(2000);
    expect(summary.sweep.find((p) => p.method === 'dpo' && p.beta === 1000)!.validationGain).toBeCloseTo(0.5, 12);
    const dpo = summary.rows.find((r) => r.method === 'dpo')!;
    expect(dpo.beta).toBe(2000);
    // Style-oracle wins against the base (-1, -1): caption a 1 > -1 (win), caption b -2 < -1 (loss).
    expect(dpo.measures.styleWinRate.estimate).toBeCloseTo(0.5, 12);
    // Δ style logit: (1 - -1 + -2 - -1) / 2 = 0.5.
    expect(dpo.measures.styleLogit.estimate).toBeCloseTo(0.5, 12);
  });

  it('nets Diffusion-DPO of its flipped and shuffled controls caption by caption', () => {
    const summary = summarizeT2I(cells, settings);
    const flipped = summary.net.find((n) => n.control === 'dpo-flipped')!;
    // Δ style logit, DPO minus flipped: caption a 1 - (-2) = 3, caption b -2 - (-2) = 0 -> 1.5.
    expect(flipped.measures.styleLogit.estimate).toBeCloseTo(1.5, 12);
    // Win rates: DPO (1, 0) minus flipped (0, 0) -> 0.5.
    expect(flipped.measures.styleWinRate.estimate).toBeCloseTo(0.5, 12);
    const shuffled = summary.net.find((n) => n.control === 'dpo-shuffled')!;
    expect(shuffled.measures.styleLogit.estimate).toBeCloseTo(0, 12); // same test logits as DPO
    const sft = summary.net.find((n) => n.method === 'sft-winners')!;
    expect(sft.control).toBe('sft-losers');
    // SFT on winners (-1, -1) minus SFT on losers (-2, 1): (1 + -2) / 2 = -0.5.
    expect(sft.measures.styleLogit.estimate).toBeCloseTo(-0.5, 12);
    const ddpo = summary.net.find((n) => n.method === 'ddpo')!;
    expect(ddpo.control).toBe('ddpo-negated');
    // DDPO (-1, -1) minus DDPO on the negated reward (-3, 0): (2 + -1) / 2 = 0.5.
    expect(ddpo.measures.styleLogit.estimate).toBeCloseTo(0.5, 12);
  });

  it('names the missing cell', () => {
    expect(() => summarizeT2I(cells.slice(0, -1), settings)).toThrow(/style\/ddpo-negated\/beta=null\/seed=0/);
  });
});
