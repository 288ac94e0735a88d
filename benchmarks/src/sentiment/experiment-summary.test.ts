import { describe, expect, it } from 'vitest';
import type { ConfidenceInterval } from './bootstrap.js';
import { averageGuards, oracleShare, pooledLevers } from './experiment-summary.js';

const gain = (estimate: number): { labeler: ConfidenceInterval } => ({
  labeler: { estimate, low: estimate, high: estimate, units: 1 },
});

describe('oracleShare', () => {
  // Oracle: best-of-N by the labeler at KL 0.5 (gain 0.4) and KL 1.5 (gain 0.8); SFT at (0, 0).
  const oracle = [
    { name: 'Best-of-4 (labeler oracle)', kl: 0.5, gains: gain(0.4) },
    { name: 'Best-of-16 (labeler oracle)', kl: 1.5, gains: gain(0.8) },
  ] as const;
  const rows = (kl: number, g: number) => [{ name: 'DPO beta 0.1', kl, gains: gain(g) }, ...oracle];

  it('divides by the oracle gain interpolated at the same KL', () => {
    // KL 0.25: oracle 0.2 -> 0.1 / 0.2
    expect(oracleShare({ name: 'DPO beta 0.1', kl: 0.25, gains: gain(0.1) }, rows(0.25, 0.1))).toBeCloseTo(0.5, 12);
    // KL 1.0: oracle 0.4 + 0.5 * 0.4 = 0.6 -> 0.3 / 0.6
    expect(oracleShare({ name: 'DPO beta 0.1', kl: 1, gains: gain(0.3) }, rows(1, 0.3))).toBeCloseTo(0.5, 12);
    // Beyond the largest N: held at 0.8
    expect(oracleShare({ name: 'DPO beta 0.1', kl: 4, gains: gain(0.4) }, rows(4, 0.4))).toBeCloseTo(0.5, 12);
  });

  it('is NaN for the oracle itself and without an oracle row', () => {
    expect(oracleShare(oracle[0], [...oracle])).toBeNaN();
    expect(oracleShare({ name: 'DPO', kl: 1, gains: gain(1) }, [{ name: 'DPO', kl: 1, gains: gain(1) }])).toBeNaN();
  });
});

describe('pooledLevers and averageGuards', () => {
  it('averages each lever over the seeds that found it and ranks them', () => {
    const levers = pooledLevers(
      [
        { levers: [{ text: ' and', meanDelta: 0.4, shareRaised: 1 }] },
        {
          levers: [
            { text: ' and', meanDelta: 0.2, shareRaised: 0.5 },
            { text: '!', meanDelta: 0.5, shareRaised: 1 },
          ],
        },
      ],
      5,
    );
    expect(levers.map((l) => l.text)).toEqual(['!', ' and']);
    expect(levers[1]!.meanDelta).toBeCloseTo(0.3, 12);
    expect(levers[1]!.shareRaised).toBeCloseTo(0.75, 12);
  });

  it('averages guards field by field', () => {
    const a = { nllPerToken: 4, realWordRate: 0.8, distinct1: 0.5, distinct2: 0.9, meanLength: 10, eosRate: 0 };
    const b = { nllPerToken: 6, realWordRate: 0.9, distinct1: 0.7, distinct2: 0.7, meanLength: 20, eosRate: 1 };
    const mean = averageGuards([a, b]);
    expect(mean.nllPerToken).toBe(5);
    expect(mean.realWordRate).toBeCloseTo(0.85, 12);
    expect(mean.meanLength).toBe(15);
    expect(mean.eosRate).toBe(0.5);
  });
});
