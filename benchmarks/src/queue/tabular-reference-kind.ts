import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@dpo-ts/core';
import { selectBackend, type BackendRequest } from '@dpo-ts/core/backend';
import { TabularPolicyScorer } from '@dpo-ts/core/testing';
import type { JobKind, ReferenceShardResult } from '@dpo-ts/queue';

/** Name of the job kind that scores a shard of pairs with a tabular reference. */
export const TABULAR_REFERENCE_KIND = 'reference-scores/tabular';

/** A shard of a tabular reference precompute: the reference's logits and the shard's pairs. */
export interface TabularReferencePayload {
  /** Reference logits `[conditions][responses]`. */
  readonly logits: readonly (readonly number[])[];
  readonly conditions: readonly number[];
  readonly chosen: readonly number[];
  readonly rejected: readonly number[];
  readonly backend: BackendRequest;
}

const isIntegerArray = (value: unknown): value is number[] => Array.isArray(value) && value.every(Number.isInteger);

/**
 * Scores the shard's pairs with a frozen tabular reference (core's TabularPolicyScorer): exact
 * log pi_ref(chosen | c) and log pi_ref(rejected | c) per pair, in order. The smallest real data
 * job, used to check that a sharded precompute fills the cache exactly as one process does.
 */
export const tabularReferenceKind: JobKind<TabularReferencePayload, ReferenceShardResult> = {
  name: TABULAR_REFERENCE_KIND,
  validate(payload) {
    const p = payload as Partial<TabularReferencePayload> | null;
    if (p === null || typeof p !== 'object') throw new InvalidArgumentError('payload', 'an object', payload);
    if (!Array.isArray(p.logits) || !p.logits.every((row) => Array.isArray(row) && row.every(Number.isFinite)))
      throw new InvalidArgumentError('payload.logits', 'rows of finite numbers', p.logits);
    for (const field of ['conditions', 'chosen', 'rejected'] as const)
      if (!isIntegerArray(p[field]))
        throw new InvalidArgumentError(`payload.${field}`, 'an array of integers', p[field]);
    if (typeof p.backend !== 'string') throw new InvalidArgumentError('payload.backend', 'a backend name', p.backend);
    return p as TabularReferencePayload;
  },
  async run(payload) {
    await selectBackend({ backend: payload.backend, quiet: true });
    return { scores: await scoreTabularReference(payload) };
  },
};

/** `[chosen, rejected]` log-probabilities of each pair under the reference (frees every tensor). */
export async function scoreTabularReference(
  payload: Omit<TabularReferencePayload, 'backend'>,
): Promise<[number, number][]> {
  const reference = new TabularPolicyScorer(payload.logits, 'tabular-reference', false);
  try {
    const scores = reference.score(payload);
    try {
      const [chosen, rejected] = await Promise.all([scores.chosen.data(), scores.rejected.data()]);
      return Array.from(chosen, (value, i) => [value, rejected[i]!]);
    } finally {
      tf.dispose([scores.chosen, scores.rejected]);
    }
  } finally {
    reference.dispose();
  }
}
