import { describe, expect, it } from 'vitest';
import { mixSeeds } from './mix-seeds.js';

/** The documented mix in exact integer arithmetic (BigInt), independent of Math.imul. */
function mixSeedsBigInt(...parts: number[]): number {
  const M = 2n ** 32n;
  const fmix = (h: bigint): bigint => {
    h = ((h ^ (h >> 16n)) * 0x85ebca6bn) % M;
    h = ((h ^ (h >> 13n)) * 0xc2b2ae35n) % M;
    return h ^ (h >> 16n);
  };
  let z = 0x9e3779b9n;
  for (const part of parts) z = fmix(z ^ ((((BigInt(part >>> 0) + 0x7f4a7c15n) % M) * 0x85ebca6bn) % M));
  return Number(z);
}

describe('mixSeeds', () => {
  it('matches the documented splitmix-style mix', () => {
    for (const parts of [[], [0], [42], [42, 0, 7], [2 ** 32 - 1, 123456, 3], [0x65766131, 9]]) {
      expect(mixSeeds(...parts)).toBe(mixSeedsBigInt(...parts));
    }
  });

  it('gives distinct 32-bit seeds across parts and orders', () => {
    const seeds = Array.from({ length: 200 }, (_, i) => mixSeeds(42, i >> 1, i & 1));
    expect(new Set(seeds).size).toBe(200);
    expect(seeds.every((s) => Number.isInteger(s) && s >= 0 && s < 2 ** 32)).toBe(true);
    expect(mixSeeds(1, 2)).not.toBe(mixSeeds(2, 1));
  });
});
