import * as tf from '@tensorflow/tfjs-core';
import type { PairScores } from '../surrogate/pair-scores.js';

/**
 * {@link PairScores} on the host: the same per-pair numbers as Float32Arrays, `[batch]` each.
 * Plain data, so it crosses to worker threads with its micro-batch (reference scores computed
 * or cached on the main thread, then used by a worker's loss).
 */
export interface HostPairScores {
  /** Score of each chosen response ({@link PairScores.chosen}), `[batch]`. */
  readonly chosen: Float32Array;
  /** Score of each rejected response ({@link PairScores.rejected}), `[batch]`. */
  readonly rejected: Float32Array;
  /** Scored units of each chosen response ({@link PairScores.chosenLengths}), `[batch]`; omitted means 1. */
  readonly chosenLengths?: Float32Array;
  /** Scored units of each rejected response, `[batch]`; omitted means 1. */
  readonly rejectedLengths?: Float32Array;
  /** The modality's per-pair details by name ({@link PairScores.details}), `[batch]` each; omitted: none. */
  readonly details?: Readonly<Record<string, Float32Array>>;
}

/**
 * Reads `scores` back to the host ({@link HostPairScores}); `null` stays `null`. The tensors
 * stay the caller's (not disposed here).
 */
export async function readPairScores(scores: PairScores | null): Promise<HostPairScores | null> {
  if (scores === null) return null;
  const read = async (tensor: tf.Tensor1D): Promise<Float32Array> => Float32Array.from(await tensor.data());
  const details = Object.entries(scores.details ?? {});
  return {
    chosen: await read(scores.chosen),
    rejected: await read(scores.rejected),
    ...(scores.chosenLengths !== undefined ? { chosenLengths: await read(scores.chosenLengths) } : {}),
    ...(scores.rejectedLengths !== undefined ? { rejectedLengths: await read(scores.rejectedLengths) } : {}),
    ...(details.length > 0
      ? { details: Object.fromEntries(await Promise.all(details.map(async ([name, t]) => [name, await read(t)]))) }
      : {}),
  };
}

/**
 * Constant tensors `[batch]` of {@link HostPairScores} (no gradient flows into them); `null`
 * stays `null`. Called inside a loss on the gradient tape, whose tidy frees them; otherwise
 * the caller disposes them.
 */
export function pairScoresFromHost(scores: HostPairScores | null): PairScores | null {
  if (scores === null) return null;
  const details = Object.entries(scores.details ?? {});
  return {
    chosen: tf.tensor1d(scores.chosen),
    rejected: tf.tensor1d(scores.rejected),
    ...(scores.chosenLengths !== undefined ? { chosenLengths: tf.tensor1d(scores.chosenLengths) } : {}),
    ...(scores.rejectedLengths !== undefined ? { rejectedLengths: tf.tensor1d(scores.rejectedLengths) } : {}),
    ...(details.length > 0
      ? { details: Object.fromEntries(details.map(([name, values]) => [name, tf.tensor1d(values)])) }
      : {}),
  };
}
