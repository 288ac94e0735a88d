import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { batchOrder } from './batch-order.js';

const sorted = (values: number[]): number[] => values.slice().sort((a, b) => a - b);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('batchOrder', () => {
  it('is a permutation fixed by (seed, epoch)', () => {
    const order = batchOrder(42, 3, 100);
    expect(sorted(order)).toEqual(range(100));
    expect(batchOrder(42, 3, 100)).toEqual(order);
    expect(order).not.toEqual(range(100));
  });

  it('differs across seeds and epochs', () => {
    const base = batchOrder(42, 0, 50);
    expect(batchOrder(43, 0, 50)).not.toEqual(base);
    expect(batchOrder(42, 1, 50)).not.toEqual(base);
    const firsts = new Set(range(20).map((epoch) => batchOrder(7, epoch, 1000)[0]));
    expect(firsts.size).toBeGreaterThan(15);
  });

  it('handles empty and single inputs and validates its arguments', () => {
    expect(batchOrder(1, 0, 0)).toEqual([]);
    expect(batchOrder(1, 0, 1)).toEqual([0]);
    expect(() => batchOrder(-1, 0, 3)).toThrow(InvalidArgumentError);
    expect(() => batchOrder(1, 0.5, 3)).toThrow('epoch must be an integer >= 0 and <= 4294967295: got 0.5');
    expect(() => batchOrder(1, 0, -1)).toThrow('n must be an integer >= 0: got -1');
  });
});
