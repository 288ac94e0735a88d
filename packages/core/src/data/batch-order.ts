import { requireInteger } from '../errors/validate.js';
import { Rng } from '../training/rng.js';

/** Stream ids that keep the generators derived from one seed independent of each other. */
const BATCH_ORDER_STREAM = 1;
const SPLIT_STREAM = 2;

/**
 * The order in which epoch `epoch` visits `n` items: a permutation of 0..n-1 that depends on
 * `(seed, epoch)` only, never on a generator's running state. A run resumed from a checkpoint
 * that recorded the epoch and the position inside it therefore sees exactly the batches an
 * uninterrupted run would have seen, and every epoch is reshuffled differently.
 *
 * The permutation is a Fisher-Yates shuffle by an {@link Rng} seeded with a hash of
 * (seed, stream, epoch); the split in {@link trainEvalSplit} uses another stream of the same
 * seed, so splitting and batching with one seed stay independent.
 *
 * @throws InvalidArgumentError unless seed and epoch are integers in [0, 2^32) and n >= 0.
 * @example
 * batchOrder(42, 0, 5); // a fixed permutation of [0, 1, 2, 3, 4]
 * batchOrder(42, 1, 5); // another one, the same on every run
 */
export function batchOrder(seed: number, epoch: number, n: number): number[] {
  requireInteger('n', n, { min: 0 });
  return new Rng(deriveSeed(seed, BATCH_ORDER_STREAM, epoch, 'epoch')).permutation(n);
}

/** The permutation {@link trainEvalSplit} draws for `seed` (internal to data/). */
export function splitOrder(seed: number, n: number): number[] {
  return new Rng(deriveSeed(seed, SPLIT_STREAM, 0, 'seed')).permutation(n);
}

/**
 * A 32-bit seed from (seed, stream, index), mixed with the murmur3 finaliser so that
 * neighbouring epochs or streams give unrelated generators.
 */
function deriveSeed(seed: number, stream: number, index: number, indexName: string): number {
  requireInteger('seed', seed, { min: 0, max: 2 ** 32 - 1 });
  requireInteger(indexName, index, { min: 0, max: 2 ** 32 - 1 });
  let hash = fmix32((seed ^ 0x9e3779b9) >>> 0);
  hash = fmix32((hash ^ fmix32((stream + 0x7f4a7c15) >>> 0)) >>> 0);
  hash = fmix32((hash ^ fmix32((index + 0x632be5ab) >>> 0)) >>> 0);
  return hash;
}

function fmix32(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
