import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, type PreferenceScorer } from '@dpo-ts/core';
import { PayloadFields } from './payload-fields.js';

/** The pairs of one split a reference shard scores: positions in the split's data file. */
export interface ReferenceSegment {
  /** `train` or `eval`: the split is part of each pair's cache key and of its draws. */
  readonly split: 'train' | 'eval';
  /** The split's data file, on storage every worker reads. */
  readonly file: string;
  /** Positions of the shard's pairs in the file, ascending. */
  readonly indices: readonly number[];
}

/** One split of a precompute as the producer sees it: its file and every pair's cache key. */
export interface ReferenceSplit {
  readonly split: 'train' | 'eval';
  readonly file: string;
  readonly keys: readonly string[];
}

/**
 * Checks `payload.segments` and `payload.keys` (one key per pair of the segments).
 * @throws InvalidArgumentError naming the bad field.
 */
export function validateReferenceSegments(p: PayloadFields): void {
  const segments = p.raw('segments');
  if (!Array.isArray(segments) || segments.length === 0)
    throw new InvalidArgumentError('payload.segments', 'a non-empty array of { split, file, indices }', segments);
  let pairs = 0;
  for (const [i, value] of segments.entries()) {
    const segment = new PayloadFields(value, `payload.segments[${i}]`);
    segment.oneOf('split', ['train', 'eval'] as const);
    segment.string('file');
    pairs += segment.integers('indices', { min: 0 }).length;
  }
  const keys = p.strings('keys');
  if (keys.length !== pairs)
    throw new InvalidArgumentError('payload.keys.length', `one key per pair of the segments (${pairs})`, keys.length);
}

/**
 * The segments of a shard: `positions` index the splits' keys laid end to end (train, then
 * eval), as `precomputeReferenceShards` numbers them; consecutive pairs of one split share a segment.
 */
export function shardSegments(splits: readonly ReferenceSplit[], positions: readonly number[]): ReferenceSegment[] {
  const segments: { split: 'train' | 'eval'; file: string; indices: number[] }[] = [];
  for (const position of positions) {
    let index = position;
    const split = splits.find((candidate) => {
      if (index < candidate.keys.length) return true;
      index -= candidate.keys.length;
      return false;
    });
    if (split === undefined) throw new InvalidArgumentError('position', 'a pair of the splits', position);
    const last = segments.at(-1);
    if (last?.split === split.split) last.indices.push(index);
    else segments.push({ split: split.split, file: split.file, indices: [index] });
  }
  return segments;
}

/**
 * `[chosen, rejected]` scores of each pair of a batch with `training: false` (outside any tape),
 * read to the host; every tensor is freed.
 */
export async function readPairScores<TBatch>(
  scorer: PreferenceScorer<TBatch>,
  batch: TBatch,
): Promise<[number, number][]> {
  const [chosen, rejected] = tf.tidy(() => {
    const scores = scorer.score(batch, { training: false });
    return [scores.chosen, scores.rejected];
  }) as [tf.Tensor1D, tf.Tensor1D];
  try {
    const [c, r] = await Promise.all([chosen.data(), rejected.data()]);
    return Array.from(c, (value, i) => [value, r[i]!]);
  } finally {
    tf.dispose([chosen, rejected]);
  }
}

/** Lets the event loop run: a queue worker renews its job's lock from there. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
