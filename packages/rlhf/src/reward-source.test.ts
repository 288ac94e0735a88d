import { describe, expect, it } from 'vitest';
import { computeRewardScores } from './reward-source.js';

const batch = { prompts: ['p1', 'p2'], completions: ['aa', 'b'], finished: [true, false] };

describe('computeRewardScores', () => {
  it('calls a plain function per rollout (sync or async) and a batch scorer once', async () => {
    expect(await computeRewardScores((_p, c) => c.length, batch)).toEqual([2, 1]);
    expect(await computeRewardScores(async (p, c) => p.length + c.length, batch)).toEqual([4, 3]);
    let calls = 0;
    const scorer = {
      scoreBatch: (b: typeof batch) => {
        calls++;
        return b.finished.map((f) => (f ? 1 : 0));
      },
    };
    expect(await computeRewardScores(scorer, batch)).toEqual([1, 0]);
    expect(calls).toBe(1);
  });

  it('names a non-finite score, a wrong count and a bad source', async () => {
    await expect(computeRewardScores((_p, c) => (c === 'b' ? NaN : 1), batch)).rejects.toThrow(
      /reward score of rollout 1/,
    );
    await expect(computeRewardScores({ scoreBatch: () => [1] }, batch)).rejects.toThrow(/scoreBatch/);
    await expect(computeRewardScores(42 as never, batch)).rejects.toThrow(/reward must be/);
  });
});
