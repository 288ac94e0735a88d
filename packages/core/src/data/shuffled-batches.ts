import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { requireBoolean, requireInteger } from '../errors/validate.js';
import { Rng } from '../training/rng.js';
import { batchOrder } from './batch-order.js';

/** Options of {@link shuffledBatches}. Give exactly one of `seed` and `rng`. */
export interface ShuffledBatchesOptions {
  /** Items per batch, >= 1. */
  readonly batchSize: number;
  /**
   * Seed of the order: with `epoch`, fixes it through {@link batchOrder}, so it can be
   * reproduced from the two numbers alone (resumable).
   */
  readonly seed?: number;
  /**
   * Epoch index used with `seed`; each epoch has its own order.
   * @defaultValue 0
   */
  readonly epoch?: number;
  /**
   * A live generator to draw the permutation from instead of `seed`; it advances, so the order
   * is only reproducible by restoring the generator's state.
   */
  readonly rng?: Rng;
  /**
   * Drop the last batch when it is smaller than `batchSize`.
   * @defaultValue false
   */
  readonly dropLast?: boolean;
  /**
   * Index of the first batch to yield: resuming inside an epoch skips the batches already seen.
   * @defaultValue 0
   */
  readonly startBatch?: number;
}

/**
 * Number of batches one pass over `n` items gives: ceil(n / batchSize), or
 * floor(n / batchSize) with `dropLast`.
 * @throws InvalidArgumentError unless n >= 0 and batchSize >= 1 are integers.
 */
export function batchesPerEpoch(n: number, batchSize: number, dropLast = false): number {
  requireInteger('n', n, { min: 0 });
  requireInteger('batchSize', batchSize, { min: 1 });
  requireBoolean('dropLast', dropLast);
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}

/**
 * Yields the items in a seeded random order, `batchSize` at a time (fresh arrays; the items
 * themselves are not copied). Every item appears once; the last batch is smaller unless
 * `dropLast`. Arguments are checked when called, not on the first `next()`.
 *
 * @throws InvalidArgumentError for a bad batchSize or startBatch, or unless exactly
 *   one of `seed` and `rng` is given.
 * @example
 * for (const batch of shuffledBatches(pairs, { batchSize: 8, seed: 42, epoch: 3 })) train(batch);
 */
export function shuffledBatches<T>(
  items: readonly T[],
  options: ShuffledBatchesOptions,
): Generator<T[], void, undefined> {
  requireItems(items);
  const { batchSize, seed, rng, epoch = 0, dropLast = false, startBatch = 0 } = options;
  const total = batchesPerEpoch(items.length, batchSize, dropLast);
  requireInteger('startBatch', startBatch, { min: 0 });
  if ((seed === undefined) === (rng === undefined)) {
    throw new InvalidArgumentError('options', 'given exactly one of seed and rng', { seed, rng: rng && 'Rng' });
  }
  if (rng !== undefined && !(rng instanceof Rng)) throw new InvalidArgumentError('rng', 'an Rng', rng);
  const order = rng !== undefined ? rng.permutation(items.length) : batchOrder(seed as number, epoch, items.length);
  return batchesInOrder(items, order, batchSize, startBatch, total);
}

/**
 * Yields the items in their stored order, `batchSize` at a time: for evaluation, where order
 * does not matter and reproducibility is free.
 * @throws InvalidArgumentError for a bad batchSize.
 * @example
 * for (const batch of sequentialBatches(evalPairs, { batchSize: 32 })) evaluate(batch);
 */
export function sequentialBatches<T>(
  items: readonly T[],
  options: { readonly batchSize: number; readonly dropLast?: boolean },
): Generator<T[], void, undefined> {
  requireItems(items);
  const total = batchesPerEpoch(items.length, options.batchSize, options.dropLast ?? false);
  const order = Array.from({ length: items.length }, (_, i) => i);
  return batchesInOrder(items, order, options.batchSize, 0, total);
}

/** Batch `b` of an epoch is `order[b * batchSize, (b + 1) * batchSize)`. Internal to data/. */
export function* batchesInOrder<T>(
  items: readonly T[],
  order: readonly number[],
  batchSize: number,
  startBatch: number,
  total: number,
): Generator<T[], void, undefined> {
  for (let batch = startBatch; batch < total; batch++) {
    yield order.slice(batch * batchSize, (batch + 1) * batchSize).map((index) => items[index] as T);
  }
}

/** @throws InvalidArgumentError unless `items` is an array. Internal to data/. */
export function requireItems(items: unknown): void {
  if (!Array.isArray(items)) throw new InvalidArgumentError('items', 'an array', items);
}
