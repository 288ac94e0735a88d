import { describe, expect, it } from 'vitest';
import { buildDiffusionPreferenceBatch } from './diffusion-preference-batch.js';
import { randomPairs } from './tiny-models.test-helper.js';

const draws = { seed: 7, round: 0, numTimesteps: 100, cfgDropProb: 0, nullClass: 3, keyPrefix: 'train/' };

describe('buildDiffusionPreferenceBatch', () => {
  const data = randomPairs(6, 1);

  it('copies the pairs and draws one timestep and one noise per pair', () => {
    const batch = buildDiffusionPreferenceBatch(data, [4, 1], draws);
    expect(batch.numPairs).toBe(2);
    expect(Array.from(batch.chosen.subarray(0, 16))).toEqual(Array.from(data.chosen.subarray(64, 80)));
    expect(Array.from(batch.rejected.subarray(16, 32))).toEqual(Array.from(data.rejected.subarray(16, 32)));
    expect(batch.timesteps).toHaveLength(2);
    expect(batch.noise).toHaveLength(32); // one eps per pair, shared by chosen and rejected
    expect(Array.from(batch.conditions)).toEqual([1, 1]);
    expect(batch.keys).toEqual(['train/4', 'train/1']);
    for (const t of batch.timesteps) expect(t >= 0 && t < 100 && Number.isInteger(t)).toBe(true);
  });

  it("a pair's draws depend on (seed, round, index) only, not on its batch", () => {
    const alone = buildDiffusionPreferenceBatch(data, [3], draws);
    const inBatch = buildDiffusionPreferenceBatch(data, [0, 5, 3], draws);
    expect(inBatch.timesteps[2]).toBe(alone.timesteps[0]);
    expect(Array.from(inBatch.noise.subarray(32, 48))).toEqual(Array.from(alone.noise));
    const nextEpoch = buildDiffusionPreferenceBatch(data, [3], { ...draws, round: 2 });
    expect(Array.from(nextEpoch.noise)).not.toEqual(Array.from(alone.noise));
    expect(nextEpoch.keys).toEqual(['train/3@2']);
    const otherSeed = buildDiffusionPreferenceBatch(data, [3], { ...draws, seed: 8 });
    expect(Array.from(otherSeed.noise)).not.toEqual(Array.from(alone.noise));
  });

  it('draws standard normal noise', () => {
    const batch = buildDiffusionPreferenceBatch(
      randomPairs(200, 2),
      Array.from({ length: 200 }, (_, i) => i),
      draws,
    );
    const mean = batch.noise.reduce((a, b) => a + b, 0) / batch.noise.length;
    const variance = batch.noise.reduce((a, b) => a + (b - mean) ** 2, 0) / batch.noise.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(variance - 1)).toBeLessThan(0.06);
  });

  it('replaces labels by the null class with probability cfgDropProb, keeping the conditions', () => {
    const all = Array.from({ length: 600 }, (_, i) => i);
    const none = buildDiffusionPreferenceBatch(randomPairs(600, 3), all, draws);
    expect(Array.from(none.labels)).toEqual(Array.from(none.conditions));
    const always = buildDiffusionPreferenceBatch(randomPairs(600, 3), all, { ...draws, cfgDropProb: 1 });
    expect(always.labels.every((l) => l === 3)).toBe(true);
    const some = buildDiffusionPreferenceBatch(randomPairs(600, 3), all, { ...draws, cfgDropProb: 0.2 });
    const dropped = some.labels.filter((l) => l === 3).length / 600;
    expect(dropped).toBeGreaterThan(0.15);
    expect(dropped).toBeLessThan(0.25);
    expect(Array.from(some.conditions)).toEqual(Array.from(none.conditions));
  });

  it('rejects bad indices and draws, naming the argument', () => {
    expect(() => buildDiffusionPreferenceBatch(data, [6], draws)).toThrow('indices[0]');
    expect(() => buildDiffusionPreferenceBatch(data, [], draws)).toThrow('indices.length');
    expect(() => buildDiffusionPreferenceBatch(data, [0], { ...draws, cfgDropProb: 2 })).toThrow('draws.cfgDropProb');
  });
});
