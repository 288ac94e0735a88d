import { describe, expect, it } from 'vitest';
import { closestName, editDistance } from './closest-name.js';

describe('closestName', () => {
  it('computes edit distances (adjacent swaps cost 1) by hand-checked examples', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('Beta', 'beta')).toBe(0);
    expect(editDistance('lerningRate', 'learningRate')).toBe(1);
    expect(editDistance('modle', 'model')).toBe(1);
    expect(editDistance('ca', 'abc')).toBe(3);
  });

  it('suggests a close name and nothing for a distant one', () => {
    const known = ['totalSteps', 'learningRate', 'beta', 'lossType'];
    expect(closestName('lerningRate', known)).toBe('learningRate');
    expect(closestName('total_steps', known)).toBe('totalSteps');
    expect(closestName('bta', known)).toBe('beta');
    expect(closestName('temperature', known)).toBeUndefined();
    expect(closestName('x', [])).toBeUndefined();
  });
});
