import { describe, expect, it } from 'vitest';
import { Rng } from './rng.js';

describe('Rng', () => {
  it('matches the xoshiro128** reference sequence for a known state', () => {
    // Reference: xoshiro128** with s = {1, 2, 3, 4}; first outputs computed with the
    // authors' C code (prng.di.unimi.it/xoshiro128starstar.c): 11520, 0, 5927040, 70819200.
    const rng = Rng.fromState([1, 2, 3, 4]);
    expect([rng.nextUint32(), rng.nextUint32(), rng.nextUint32(), rng.nextUint32()]).toEqual([
      11520, 0, 5927040, 70819200,
    ]);
  });

  it('is reproducible for a seed and resumable from its state', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    a.uniform();
    b.uniform();
    const saved = Rng.fromState(a.state());
    const fromA = [a.uniform(), a.int(1000), a.normal()];
    expect([b.uniform(), b.int(1000), b.normal()]).toEqual(fromA);
    expect([saved.uniform(), saved.int(1000), saved.normal()]).toEqual(fromA);
    expect(new Rng(8).uniform()).not.toBe(new Rng(7).uniform());
  });

  it('draws uniforms in [0,1) with the right moments and normals with mean 0, variance 1', () => {
    const rng = new Rng(123);
    const n = 20000;
    let sum = 0;
    let sumNormal = 0;
    let sumNormalSq = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      sum += u;
      const z = rng.normal();
      sumNormal += z;
      sumNormalSq += z * z;
    }
    expect(sum / n).toBeCloseTo(0.5, 1);
    expect(sumNormal / n).toBeCloseTo(0, 1);
    expect(sumNormalSq / n).toBeCloseTo(1, 1);
  });

  it('shuffles into a permutation and rejects bad seeds and states', () => {
    const perm = new Rng(1).permutation(50);
    expect(perm.slice().sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(perm).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(() => new Rng(-1)).toThrow('seed must be an integer >= 0');
    expect(() => new Rng(1.5)).toThrow('seed must be an integer');
    expect(() => Rng.fromState([0, 0, 0, 0])).toThrow('state must be not all zero');
  });

  it('resumes identically after an odd number of normal draws (no hidden spare value)', () => {
    const a = new Rng(11);
    a.normal();
    const resumed = Rng.fromState(a.state());
    expect([resumed.normal(), resumed.normal(), resumed.uniform()]).toEqual([a.normal(), a.normal(), a.uniform()]);
  });
});
