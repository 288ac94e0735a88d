import { requireInteger } from '../errors/validate.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';

/** The serialisable state of an {@link Rng}: four 32-bit words, saved in checkpoints. */
export type RngState = readonly [number, number, number, number];

/**
 * A seeded pseudo-random generator (xoshiro128**, Blackman & Vigna 2018) whose whole state
 * is four numbers, so a checkpoint can save it and a resumed run draws exactly the numbers an
 * uninterrupted run would have drawn.
 *
 * Seeding expands a 32-bit seed with splitmix32, as the authors recommend. Everything random in
 * dpo-ts (shuffling, dropout seeds, diffusion timesteps and noise seeds, sampling) draws from an
 * `Rng`; tfjs random ops get integer seeds from {@link Rng.nextSeed}.
 *
 * @example
 * const rng = new Rng(42);
 * rng.uniform(); rng.int(10); rng.normal();
 * const copy = Rng.fromState(rng.state()); // continues identically
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /**
   * Seeds the four state words from `seed` with splitmix32.
   * @param seed - an integer in [0, 2^32 - 1]; the same seed gives the same sequence.
   * @throws InvalidArgumentError for any other seed.
   */
  constructor(seed: number) {
    requireInteger('seed', seed, { min: 0, max: 2 ** 32 - 1 });
    let x = seed >>> 0;
    const next = (): number => {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** Restores a generator from {@link Rng.state}. */
  static fromState(state: RngState): Rng {
    const words: unknown = state;
    if (
      !Array.isArray(words) ||
      words.length !== 4 ||
      words.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff)
    ) {
      throw new InvalidArgumentError('state', 'four unsigned 32-bit integers', state);
    }
    if (state.every((w) => w === 0)) throw new InvalidArgumentError('state', 'not all zero', state);
    const rng = new Rng(0);
    [rng.s0, rng.s1, rng.s2, rng.s3] = state;
    return rng;
  }

  /** The current state; `Rng.fromState(rng.state())` continues the same stream. */
  state(): RngState {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  /** Next raw unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** Uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    requireInteger('n', n, { min: 1, max: 2 ** 32 });
    return Math.floor(this.uniform() * n);
  }

  /**
   * Standard normal draw (Box-Muller). Each draw consumes two uniforms and keeps no spare:
   * a cached second value would live outside {@link Rng.state}, and a run resumed from a
   * checkpoint taken after an odd number of draws would then diverge.
   */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A fresh integer seed for a tfjs random op or a child generator, in [0, 2^31). */
  nextSeed(): number {
    return this.nextUint32() >>> 1;
  }

  /** Fisher-Yates shuffle of a copy of `items`. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  /** A permutation of 0..n-1. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
