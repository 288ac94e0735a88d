import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import type { NamedVariables } from '../surrogate/preference-scorer.js';
import { expectNoLeak } from '../testing/expect-no-leak.js';
import { prepareReference, type PrepareReferenceOptions } from './prepare-reference.js';
import { ReferenceScoreCache } from './reference-score-cache.js';
import { InMemoryReferenceScores } from './reference-score-store.js';

/** A one-weight model that can be cloned and disposed. */
class Model {
  readonly weight: tf.Variable;
  disposed = false;
  constructor(value: number) {
    const initial = tf.scalar(value);
    this.weight = tf.variable(initial, true, `prepare-reference-${Math.random()}`);
    initial.dispose();
  }
  namedVariables(): NamedVariables {
    return new Map([['w', this.weight]]);
  }
  dispose(): void {
    this.disposed = true;
    this.weight.dispose();
  }
}

function options(
  overrides: Partial<PrepareReferenceOptions<Model>> = {},
): PrepareReferenceOptions<Model> & { fingerprints: number } {
  const state = {
    model: new Model(1),
    referenceModel: undefined,
    referenceFree: false,
    clone: (model: Model) => new Model(model.weight.dataSync()[0]!),
    separateReference: 'a separate model (model.clone())',
    precompute: false,
    cacheFile: undefined,
    fingerprints: 0,
    fingerprint: async () => {
      state.fingerprints += 1;
      return { model: 'fingerprint' };
    },
    ...overrides,
  };
  return state;
}

describe('prepareReference', () => {
  it('clones and freezes the policy by default, and disposes only that copy', async () => {
    const given = options();
    await expectNoLeak(async () => {
      const reference = await prepareReference(given);
      expect(reference.owned).toBe(true);
      expect(reference.model).not.toBe(given.model);
      expect(reference.model!.weight.trainable).toBe(false);
      expect(given.model.weight.trainable).toBe(true);
      expect(reference.cache).toBeUndefined();
      reference.dispose();
      expect(reference.model!.disposed).toBe(true);
    });
    given.model.dispose();
  });

  it("freezes the caller's reference without owning it, and builds none when reference-free", async () => {
    const caller = new Model(2);
    const given = options({ referenceModel: caller });
    const reference = await prepareReference(given);
    expect(reference.model).toBe(caller);
    expect(caller.weight.trainable).toBe(false);
    reference.dispose();
    expect(caller.disposed).toBe(false);
    const free = await prepareReference(options({ referenceFree: true, model: given.model }));
    expect(free).toMatchObject({ model: undefined, owned: false, cache: undefined });
    [caller, given.model].forEach((m) => {
      m.dispose();
    });
  });

  it('keeps precomputed scores in memory without a file: no path, no fingerprint, nothing saved', async () => {
    const given = options({ precompute: true });
    const reference = await prepareReference(given);
    expect(reference.cache).toBeInstanceOf(InMemoryReferenceScores);
    expect(reference.cache!.file).toBeUndefined();
    expect(reference.cache!.status).toBe('new');
    expect(given.fingerprints).toBe(0); // the weights are not even hashed
    reference.cache!.set('train:0', { chosen: -1.5, rejected: -2 });
    expect(reference.cache!.get('train:0')).toEqual({ chosen: -1.5, rejected: -2 });
    expect(reference.cache!.missing(['train:0', 'train:1'])).toEqual(['train:1']);
    await reference.cache!.save();
    expect(() => reference.cache!.set('train:1', { chosen: NaN, rejected: 0 })).toThrow('scores of pair "train:1"');
    reference.dispose();
    given.model.dispose();
  });

  it('opens the on-disk cache under the fingerprint when given a file', async () => {
    const dir = await fs.mkdtemp(path.join(tmpdir(), 'dpo-ts-prepare-reference-'));
    const given = options({ precompute: true, cacheFile: path.join(dir, 'scores.json') });
    const reference = await prepareReference(given);
    expect(reference.cache).toBeInstanceOf(ReferenceScoreCache);
    expect(reference.cache!.file).toBe(path.join(dir, 'scores.json'));
    expect(given.fingerprints).toBe(1);
    reference.dispose();
    given.model.dispose();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('refuses the policy as its own reference and a cache file without precompute, naming the argument', async () => {
    const given = options();
    await expect(prepareReference({ ...given, referenceModel: given.model })).rejects.toThrow(
      'options.referenceModel must be a separate model (model.clone()), not the policy itself: got "the policy"',
    );
    expect(given.model.weight.trainable).toBe(true);
    await expect(prepareReference({ ...given, cacheFile: 'x.json' })).rejects.toThrow(
      'options.referenceCacheFile must be given only with config.precomputeRefLogProbs: true',
    );
    given.model.dispose();
  });

  it('disposes its copy when opening the cache fails', async () => {
    let copy: Model | undefined;
    const given = options({
      precompute: true,
      cacheFile: path.join(tmpdir(), 'unused.json'),
      clone: (model) => (copy = new Model(model.weight.dataSync()[0]!)),
      fingerprint: async () => {
        throw new Error('hashing failed');
      },
    });
    await expect(prepareReference(given)).rejects.toThrow('hashing failed');
    expect(copy!.disposed).toBe(true);
    given.model.dispose();
  });
});
