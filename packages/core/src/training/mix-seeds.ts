/**
 * A 32-bit seed mixed from several non-negative integers (splitmix-style), for random streams
 * derived rather than carried: `new Rng(mixSeeds(seed, epoch, index))` gives every
 * (epoch, example) its own stream, so nothing needs saving for a bit-identical resume and an
 * example's draws do not depend on which batch it landed in.
 *
 *   z <- 0x9e3779b9;  for each part p:  z <- fmix32(z xor ((p + 0x7f4a7c15) * 0x85ebca6b))
 *
 * with fmix32 MurmurHash3's 32-bit finaliser, all arithmetic mod 2^32.
 * @example
 * const rng = new Rng(mixSeeds(config.seed, stepIndex, 2)); // the step's shuffling stream
 */
export function mixSeeds(...parts: readonly number[]): number {
  let z = 0x9e3779b9;
  for (const part of parts) {
    z = (z ^ Math.imul((part >>> 0) + 0x7f4a7c15, 0x85ebca6b)) >>> 0;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
  }
  return z;
}
