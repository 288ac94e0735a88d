import { describe, expect, it } from 'vitest';
import { captionUnits, excludes, netOfControl, unitsCI } from './caption-units.js';

/** Test scores of 4 images of T = 2 captions (image k shows caption k % 2). */
const scores = (clip: number[], style: number[], hits: number[]) => ({
  test: { captions: ['a', 'b', 'a', 'b'], clipOracle: clip, styleOracle: style, retrievalHit: hits },
});

describe('captionUnits', () => {
  const base = scores([1, 2, 3, 4], [-1, 1, -1, 1], [0, 1, 1, 0]);
  const model = scores([2, 2, 1, 5], [1, 1, 1, -1], [1, 1, 1, 1]);

  it('averages paired wins over each caption (ties count 1/2)', () => {
    // Caption a: images 0 and 2: 2 > 1 (win), 1 < 3 (loss) -> 0.5. Caption b: 2 = 2 (tie), 5 > 4 -> 0.75.
    expect(captionUnits(model, base, 'clipWinRate', 2)).toEqual([0.5, 0.75]);
  });

  it('takes Δ style share and Δ retrieval per caption against the base on the same noise', () => {
    // Style share: a: model (1 + 1) / 2 - base (0 + 0) / 2 = 1; b: (1 + 0) / 2 - (1 + 1) / 2 = -0.5.
    expect(captionUnits(model, base, 'styleShare', 2)).toEqual([1, -0.5]);
    // Retrieval: a: 1 - 0.5 = 0.5; b: 1 - 0.5 = 0.5.
    expect(captionUnits(model, base, 'retrieval', 2)).toEqual([0.5, 0.5]);
    // Scores: a: ((2 - 1) + (1 - 3)) / 2 = -0.5; b: ((2 - 2) + (5 - 4)) / 2 = 0.5.
    expect(captionUnits(model, base, 'clipScore', 2)).toEqual([-0.5, 0.5]);
  });

  it('names the argument when the images are not paired', () => {
    expect(() => captionUnits(model, scores([1], [1], [1]), 'clipScore', 2)).toThrow(/base\.test\.clipOracle\.length/);
  });
});

describe('netOfControl', () => {
  it('subtracts the control unit by unit, per seed', () => {
    // Drift d = 0.1 and label effect p = 0.2: with the labels +0.3, flipped -0.1: net = 0.4 = 2p.
    const method = [[0.3, 0.3], [0.5]];
    const flipped = [[-0.1, -0.1], [0.5]];
    const net = netOfControl(method, flipped);
    expect(net[0]![0]).toBeCloseTo(0.4, 12);
    expect(net[0]![1]).toBeCloseTo(0.4, 12);
    expect(net[1]).toEqual([0]);
  });

  it('names the mismatched seed', () => {
    expect(() => netOfControl([[1, 2]], [[1]])).toThrow(/control\[0\]\.length/);
  });
});

describe('unitsCI', () => {
  it('gives the mean over all units and a degenerate interval for constant units', () => {
    const interval = unitsCI([[0.25, 0.25], [0.25]], 200, 1);
    expect(interval.estimate).toBeCloseTo(0.25, 12);
    expect(interval.low).toBeCloseTo(0.25, 12);
    expect(interval.high).toBeCloseTo(0.25, 12);
    expect(excludes(interval, 0)).toBe(true);
    expect(excludes(interval, 0.25)).toBe(false);
  });
});
