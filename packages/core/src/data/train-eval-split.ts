import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { requireInteger, requireNumber } from '../errors/validate.js';
import { splitOrder } from './batch-order.js';
import { requireItems } from './shuffled-batches.js';

/** Options of {@link trainEvalSplit}: give exactly one of `evalFraction` and `evalSize`. */
export interface TrainEvalSplitOptions {
  /** Share of the items held out, in (0, 1); the eval size is ceil(evalFraction * n). */
  readonly evalFraction?: number;
  /** Number of items held out, in [1, n - 1]. */
  readonly evalSize?: number;
  /** Seed of the split; the same seed and items always give the same split. */
  readonly seed: number;
}

/** The two sides of a {@link trainEvalSplit}, each in the input's order. */
export interface TrainEvalSplit<T> {
  /** The training items, n minus the eval size of them, in input order. */
  readonly train: T[];
  /** The held-out items, in input order. */
  readonly eval: T[];
  /** Positions of the training items in the input, ascending. */
  readonly trainIndices: number[];
  /** Positions of the held-out items in the input, ascending; save them to reproduce a split. */
  readonly evalIndices: number[];
}

/**
 * Splits items into disjoint training and evaluation sets that together hold every item
 * once, chosen by a seeded permutation: deterministic for a seed, different across seeds.
 * Both sides keep the input's order. The eval size is ceil(evalFraction * n), as in Hugging
 * Face `datasets.train_test_split` and scikit-learn, so a small fraction never rounds to an
 * empty eval set (the product is rounded to 12 digits first: 0.3 of 10 items is 3, not 4).
 *
 * @throws InvalidArgumentError when fewer than 2 items are given, neither or both of
 *   evalFraction and evalSize are given, evalFraction is outside (0, 1), evalSize is outside
 *   [1, n - 1], the fraction leaves no training item, or the seed is not an integer in [0, 2^32).
 * @example
 * const { train, eval: held } = trainEvalSplit(pairs, { evalFraction: 0.1, seed: 42 });
 */
export function trainEvalSplit<T>(items: readonly T[], options: TrainEvalSplitOptions): TrainEvalSplit<T> {
  requireItems(items);
  const n = items.length;
  if (n < 2) throw new InvalidArgumentError('items.length', '>= 2 to split', n);
  const { evalFraction, evalSize, seed } = options;
  if ((evalFraction === undefined) === (evalSize === undefined)) {
    throw new InvalidArgumentError('options', 'given exactly one of evalFraction and evalSize', {
      evalFraction,
      evalSize,
    });
  }
  let evalCount: number;
  if (evalFraction !== undefined) {
    requireNumber('evalFraction', evalFraction, { min: 0, max: 1, exclusiveMin: true, exclusiveMax: true });
    // Rounded first so that floating-point noise does not bump the count: 0.3 * 10 gives 3, not 4.
    evalCount = Math.ceil(Number((evalFraction * n).toPrecision(12)));
    if (evalCount >= n) {
      throw new InvalidArgumentError('evalFraction', `small enough to leave a training item out of ${n}`, evalFraction);
    }
  } else {
    evalCount = requireInteger('evalSize', evalSize, { min: 1, max: n - 1 });
  }
  const order = splitOrder(seed, n);
  const evalIndices = order.slice(0, evalCount).sort((a, b) => a - b);
  const trainIndices = order.slice(evalCount).sort((a, b) => a - b);
  return {
    train: trainIndices.map((index) => items[index] as T),
    eval: evalIndices.map((index) => items[index] as T),
    trainIndices,
    evalIndices,
  };
}
