import { InvalidArgumentError } from '@dpo-ts/core';
import { InMemoryReferenceScores } from '@dpo-ts/core/preference';
import { describe, expect, it } from 'vitest';
import { type JobKind, JobKindRegistry } from './job-kind.js';
import { precomputeReferenceShards } from './reference-shards.js';

// A stand-in scorer: pair i scores chosen = i / 10, rejected = -i.
const pairScores: JobKind<{ indices: number[] }, { scores: [number, number][] }> = {
  name: 'reference-scores/test',
  validate(payload) {
    const indices = (payload as { indices?: unknown } | null)?.indices;
    if (!Array.isArray(indices)) throw new InvalidArgumentError('payload.indices', 'an array', indices);
    return { indices: indices as number[] };
  },
  run: async ({ indices }) => ({ scores: indices.map((i) => [i / 10, -i] as [number, number]) }),
};

describe('precomputeReferenceShards', () => {
  it('scores only the missing pairs, in shards, and stores them under their keys', async () => {
    const keys = Array.from({ length: 7 }, (_, i) => `pair-${i}`);
    const cache = new InMemoryReferenceScores();
    cache.set('pair-2', { chosen: 99, rejected: 98 });
    const shards: number[][] = [];
    const summary = await precomputeReferenceShards({
      keys,
      cache,
      shardSize: 4,
      kind: 'reference-scores/test',
      kinds: new JobKindRegistry([pairScores]),
      codeVersion: 'v1',
      shardPayload: (shard) => {
        shards.push([...shard.indices]);
        return { indices: shard.indices };
      },
    });
    expect(summary).toEqual({ computed: 6, reused: 1, shards: 2 });
    expect(shards).toEqual([
      [0, 1, 3, 4],
      [5, 6],
    ]);
    expect(cache.get('pair-2')).toEqual({ chosen: 99, rejected: 98 });
    expect(cache.get('pair-6')).toEqual({ chosen: 0.6, rejected: -6 });
    expect(cache.size).toBe(7);
  });

  it('names a shard whose result has the wrong length', async () => {
    const short: JobKind = { ...pairScores, run: async () => ({ scores: [[0, 0]] }) };
    await expect(
      precomputeReferenceShards({
        keys: ['a', 'b'],
        cache: new InMemoryReferenceScores(),
        shardSize: 2,
        kind: 'reference-scores/test',
        kinds: new JobKindRegistry([short]),
        codeVersion: 'v1',
        shardPayload: (shard) => ({ indices: shard.indices }),
      }),
    ).rejects.toThrow('result of reference shard 0.scores must be an array of 2 [chosen, rejected] pairs');
  });
});
