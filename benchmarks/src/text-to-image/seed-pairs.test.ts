import { describe, expect, it } from 'vitest';
import { variantLabels } from './seed-pairs.js';

const LABELS = [1, 0, 0.5, 1, 1, 0] as const;

describe('variantLabels', () => {
  it('drops ties and keeps the labels as they are for the real variant', () => {
    expect(variantLabels(LABELS, 'real', 0)).toEqual({
      indices: [0, 1, 3, 4, 5],
      imageZeroChosen: [true, false, true, true, false],
    });
  });

  it('reverses every label for the flipped control', () => {
    expect(variantLabels(LABELS, 'flipped', 0).imageZeroChosen).toEqual([false, true, false, false, true]);
  });

  it('permutes the labels for the shuffled control: the same count of each, reproducible per seed', () => {
    const shuffled = variantLabels(LABELS, 'shuffled', 3);
    expect(shuffled.indices).toEqual([0, 1, 3, 4, 5]);
    expect(shuffled.imageZeroChosen.filter(Boolean)).toHaveLength(3);
    expect(variantLabels(LABELS, 'shuffled', 3)).toEqual(shuffled);
    const many = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 1 : 0) as 0 | 1);
    const permuted = variantLabels(many, 'shuffled', 1).imageZeroChosen;
    expect(permuted.filter(Boolean)).toHaveLength(20);
    expect(permuted).not.toEqual(variantLabels(many, 'real', 1).imageZeroChosen);
  });
});
