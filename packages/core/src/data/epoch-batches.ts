import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { requireInteger } from '../errors/validate.js';
import { batchOrder } from './batch-order.js';
import { batchesPerEpoch, requireItems } from './shuffled-batches.js';

/** Options of {@link epochBatches}. */
export interface EpochBatchesOptions {
  /** Items per batch, >= 1. */
  readonly batchSize: number;
  /** Seed of every epoch's order (see {@link batchOrder}). */
  readonly seed: number;
  /**
   * Drop each epoch's last batch when it is smaller than `batchSize`.
   * @defaultValue false
   */
  readonly dropLast?: boolean;
  /**
   * Global step to start at: the number of batches already trained on. A run resumed with the
   * step saved in its checkpoint continues with exactly the batch the interrupted run would
   * have seen next.
   * @defaultValue 0
   */
  readonly startStep?: number;
  /**
   * Number of epochs to run; iteration ends after the last batch of epoch `epochs - 1`.
   * Omitted: unbounded (stop the loop yourself, at a maximum step, say).
   * @defaultValue undefined
   */
  readonly epochs?: number;
}

/** One batch from {@link epochBatches}, with where it sits in training. */
export interface EpochBatch<T> {
  /** 0-based epoch. */
  readonly epoch: number;
  /** 0-based index of the batch inside its epoch. */
  readonly batch: number;
  /** 0-based global step: `epoch * batchesPerEpoch + batch`. */
  readonly step: number;
  /** Positions of the items in the input array. */
  readonly indices: readonly number[];
  /** The items themselves (a fresh array). */
  readonly items: T[];
}

/**
 * Yields batches epoch after epoch, reshuffling each epoch with {@link batchOrder}(seed, epoch):
 * the order depends on (seed, epoch) only, so resuming at `startStep` reproduces the remaining
 * batches of the interrupted run exactly, with nothing but the step to save.
 *
 * @throws InvalidArgumentError for a bad batchSize, seed, startStep or epochs, for an
 *   empty `items`, or when `dropLast` with fewer items than `batchSize` leaves no batch per
 *   epoch (which would otherwise loop forever without yielding).
 * @example
 * for (const { step, items } of epochBatches(pairs, { batchSize: 8, seed: 42, startStep: checkpoint.step })) {
 *   if (step >= maxSteps) break;
 *   await trainStep(items);
 * }
 */
export function epochBatches<T>(
  items: readonly T[],
  options: EpochBatchesOptions,
): Generator<EpochBatch<T>, void, undefined> {
  requireItems(items);
  const { batchSize, seed, dropLast = false, startStep = 0, epochs } = options;
  const perEpoch = batchesPerEpoch(items.length, batchSize, dropLast);
  requireInteger('seed', seed, { min: 0, max: 2 ** 32 - 1 });
  requireInteger('startStep', startStep, { min: 0 });
  if (epochs !== undefined) requireInteger('epochs', epochs, { min: 1 });
  if (perEpoch === 0) {
    const expected = dropLast ? `>= batchSize (${batchSize}) when dropLast is set` : '>= 1';
    throw new InvalidArgumentError('items.length', expected, items.length, 'an epoch would have no batch');
  }
  return iterate(items, batchSize, seed, perEpoch, startStep, epochs ?? Infinity);
}

function* iterate<T>(
  items: readonly T[],
  batchSize: number,
  seed: number,
  perEpoch: number,
  startStep: number,
  epochs: number,
): Generator<EpochBatch<T>, void, undefined> {
  for (let epoch = Math.floor(startStep / perEpoch); epoch < epochs; epoch++) {
    const order = batchOrder(seed, epoch, items.length);
    const first = epoch === Math.floor(startStep / perEpoch) ? startStep % perEpoch : 0;
    for (let batch = first; batch < perEpoch; batch++) {
      const indices = order.slice(batch * batchSize, (batch + 1) * batchSize);
      yield { epoch, batch, step: epoch * perEpoch + batch, indices, items: indices.map((index) => items[index] as T) };
    }
  }
}
