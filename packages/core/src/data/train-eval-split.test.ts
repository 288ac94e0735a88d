import { describe, expect, it } from 'vitest';
import { trainEvalSplit } from './train-eval-split.js';

const items = Array.from({ length: 100 }, (_, i) => ({ id: i }));

describe('trainEvalSplit', () => {
  it('is disjoint and complete, each side in input order', () => {
    const { train, eval: held, trainIndices, evalIndices } = trainEvalSplit(items, { evalFraction: 0.2, seed: 1 });
    expect(held).toHaveLength(20);
    expect(train).toHaveLength(80);
    expect([...trainIndices, ...evalIndices].sort((a, b) => a - b)).toEqual(items.map((item) => item.id));
    expect(new Set([...trainIndices, ...evalIndices]).size).toBe(100);
    expect(trainIndices).toEqual(trainIndices.slice().sort((a, b) => a - b));
    expect(held.map((item) => item.id)).toEqual(evalIndices);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const a = trainEvalSplit(items, { evalSize: 10, seed: 5 });
    expect(trainEvalSplit(items, { evalSize: 10, seed: 5 })).toEqual(a);
    expect(trainEvalSplit(items, { evalSize: 10, seed: 6 }).evalIndices).not.toEqual(a.evalIndices);
  });

  it('rounds the eval size up, without floating-point noise', () => {
    expect(trainEvalSplit(items.slice(0, 10), { evalFraction: 0.3, seed: 1 }).eval).toHaveLength(3);
    expect(trainEvalSplit(items.slice(0, 10), { evalFraction: 0.01, seed: 1 }).eval).toHaveLength(1);
    expect(trainEvalSplit(items.slice(0, 2), { evalSize: 1, seed: 1 }).train).toHaveLength(1);
  });

  it.each([
    [{ evalFraction: 0, seed: 1 }, 'evalFraction must be a finite number > 0 and < 1: got 0'],
    [{ evalFraction: 1, seed: 1 }, 'evalFraction must be a finite number > 0 and < 1: got 1'],
    [
      { evalFraction: 0.999, seed: 1 },
      'evalFraction must be small enough to leave a training item out of 100: got 0.999',
    ],
    [{ evalSize: 0, seed: 1 }, 'evalSize must be an integer >= 1 and <= 99: got 0'],
    [{ evalSize: 100, seed: 1 }, 'evalSize must be an integer >= 1 and <= 99: got 100'],
    [{ seed: 1 }, 'options must be given exactly one of evalFraction and evalSize'],
    [{ evalSize: 2, evalFraction: 0.1, seed: 1 }, 'options must be given exactly one of evalFraction and evalSize'],
    [{ evalSize: 2, seed: -3 }, 'seed must be an integer'],
  ])('rejects %o', (options, message) => {
    expect(() => trainEvalSplit(items, options)).toThrow(message);
  });

  it('needs at least two items', () => {
    expect(() => trainEvalSplit([1], { evalSize: 1, seed: 1 })).toThrow('items.length must be >= 2 to split: got 1');
  });
});
