import { describe, expect, it } from 'vitest';
import { batchOrder } from './batch-order.js';
import { epochBatches } from './epoch-batches.js';

const items = Array.from({ length: 7 }, (_, i) => i * 10);

describe('epochBatches', () => {
  it('reshuffles each epoch from (seed, epoch) and numbers steps globally', () => {
    const batches = [...epochBatches(items, { batchSize: 3, seed: 11, epochs: 2 })];
    expect(batches.map(({ epoch, batch, step }) => [epoch, batch, step])).toEqual([
      [0, 0, 0],
      [0, 1, 1],
      [0, 2, 2],
      [1, 0, 3],
      [1, 1, 4],
      [1, 2, 5],
    ]);
    expect(batches.slice(0, 3).flatMap((b) => b.indices)).toEqual(batchOrder(11, 0, 7));
    expect(batches.slice(3).flatMap((b) => b.indices)).toEqual(batchOrder(11, 1, 7));
    expect(batches[0]?.items).toEqual(batches[0]?.indices.map((i) => items[i]));
  });

  it('resumes at any step with exactly the remaining batches', () => {
    const full = [...epochBatches(items, { batchSize: 2, seed: 3, epochs: 4, dropLast: true })];
    for (const startStep of [0, 1, 3, 5, 11]) {
      expect([...epochBatches(items, { batchSize: 2, seed: 3, epochs: 4, dropLast: true, startStep })]).toEqual(
        full.slice(startStep),
      );
    }
    expect([...epochBatches(items, { batchSize: 2, seed: 3, epochs: 4, startStep: 100 })]).toEqual([]);
  });

  it('is unbounded without epochs', () => {
    let count = 0;
    for (const { step } of epochBatches(items, { batchSize: 7, seed: 1 })) {
      count = step + 1;
      if (count >= 50) break;
    }
    expect(count).toBe(50);
  });

  it('refuses inputs that would give an epoch without batches', () => {
    expect(() => epochBatches([], { batchSize: 2, seed: 1 })).toThrow('items.length must be >= 1: got 0');
    expect(() => epochBatches([1, 2], { batchSize: 3, seed: 1, dropLast: true })).toThrow(
      'items.length must be >= batchSize (3) when dropLast is set: got 2',
    );
    expect(() => epochBatches(items, { batchSize: 2, seed: 1, epochs: 0 })).toThrow('epochs must be an integer >= 1');
    expect(() => epochBatches(items, { batchSize: 2, seed: 1, startStep: -1 })).toThrow('startStep');
  });
});
