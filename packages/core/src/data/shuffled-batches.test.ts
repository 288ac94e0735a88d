import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { Rng } from '../training/rng.js';
import { batchOrder } from './batch-order.js';
import { batchesPerEpoch, sequentialBatches, shuffledBatches } from './shuffled-batches.js';

const items = Array.from({ length: 10 }, (_, i) => `item${i}`);

describe('shuffledBatches', () => {
  it('yields every item once in batches of batchSize, the last one smaller', () => {
    const batches = [...shuffledBatches(items, { batchSize: 4, seed: 1 })];
    expect(batches.map((batch) => batch.length)).toEqual([4, 4, 2]);
    expect(batches.flat().sort()).toEqual(items.slice().sort());
    expect(batches.flat()).toEqual(batchOrder(1, 0, 10).map((i) => items[i]));
  });

  it('drops the short last batch when asked', () => {
    expect([...shuffledBatches(items, { batchSize: 4, seed: 1, dropLast: true })].map((b) => b.length)).toEqual([4, 4]);
    expect([...shuffledBatches(items, { batchSize: 20, seed: 1, dropLast: true })]).toEqual([]);
  });

  it('is deterministic for a seed and epoch, different across seeds', () => {
    const a = [...shuffledBatches(items, { batchSize: 3, seed: 5, epoch: 2 })];
    expect([...shuffledBatches(items, { batchSize: 3, seed: 5, epoch: 2 })]).toEqual(a);
    expect([...shuffledBatches(items, { batchSize: 3, seed: 6, epoch: 2 })]).not.toEqual(a);
  });

  it('resumes inside an epoch with startBatch', () => {
    const all = [...shuffledBatches(items, { batchSize: 3, seed: 5, epoch: 1 })];
    expect([...shuffledBatches(items, { batchSize: 3, seed: 5, epoch: 1, startBatch: 2 })]).toEqual(all.slice(2));
  });

  it('draws from a live Rng when given one', () => {
    const order = new Rng(9).permutation(10);
    const batches = [...shuffledBatches(items, { batchSize: 5, rng: new Rng(9) })];
    expect(batches.flat()).toEqual(order.map((i) => items[i]));
  });

  it('validates its options when called', () => {
    expect(() => shuffledBatches(items, { batchSize: 0, seed: 1 })).toThrow('batchSize must be an integer >= 1: got 0');
    expect(() => shuffledBatches(items, { batchSize: 2 })).toThrow('options must be given exactly one of seed and rng');
    expect(() => shuffledBatches(items, { batchSize: 2, seed: 1, rng: new Rng(1) })).toThrow(InvalidArgumentError);
    expect(() => shuffledBatches(items, { batchSize: 2, seed: 1.5 })).toThrow('seed must be an integer');
    expect(() => shuffledBatches('abc' as never, { batchSize: 2, seed: 1 })).toThrow('items must be an array');
  });
});

describe('sequentialBatches and batchesPerEpoch', () => {
  it('keeps the stored order', () => {
    expect([...sequentialBatches([1, 2, 3, 4, 5], { batchSize: 2 })]).toEqual([[1, 2], [3, 4], [5]]);
    expect([...sequentialBatches([1, 2, 3, 4, 5], { batchSize: 2, dropLast: true })]).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('counts batches', () => {
    expect(batchesPerEpoch(10, 4)).toBe(3);
    expect(batchesPerEpoch(10, 4, true)).toBe(2);
    expect(batchesPerEpoch(0, 4)).toBe(0);
  });
});
