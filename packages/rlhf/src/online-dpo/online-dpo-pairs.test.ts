import { describe, expect, it } from 'vitest';
import { pairsFromJudge, pairsFromScores } from './online-dpo-pairs.js';

describe('pairsFromScores', () => {
  it('chooses the higher score of rows i and B + i; ties go to the first completion (TRL)', () => {
    // B = 3 prompts: pair 0 rows (0, 3), pair 1 rows (1, 4), pair 2 rows (2, 5).
    const pairs = pairsFromScores([1, 5, 2, 0.5, 7, 2]);
    expect(pairs.chosenRows).toEqual([0, 4, 2]); // 1 > 0.5; 5 < 7; 2 = 2 (tie: first)
    expect(pairs.rejectedRows).toEqual([3, 1, 5]);
    expect(pairs.ties).toBe(1);
  });

  it('names the argument on bad input', () => {
    expect(() => pairsFromScores([1, 2, 3])).toThrow(/scores.*even/);
    expect(() => pairsFromScores([])).toThrow(/scores/);
    expect(() => pairsFromScores([1, Number.NaN])).toThrow(/scores\[1\]/);
  });
});

describe('pairsFromJudge', () => {
  it('asks the judge about [first, second] per prompt and chooses the one it names', async () => {
    const seen: string[][] = [];
    const pairs = await pairsFromJudge(
      (_prompt, [a, b]) => {
        seen.push([a, b]);
        return a.length <= b.length ? 0 : 1; // prefers the shorter; equal lengths: the first
      },
      ['p', 'q'],
      ['aaa', 'b', 'aa', 'bb'],
    );
    expect(seen).toEqual([
      ['aaa', 'aa'],
      ['b', 'bb'],
    ]);
    expect(pairs.chosenRows).toEqual([2, 1]);
    expect(pairs.rejectedRows).toEqual([0, 3]);
  });

  it('refuses a verdict other than 0 or 1', async () => {
    await expect(pairsFromJudge(() => -1, ['p'], ['a', 'b'])).rejects.toThrow(/judge verdict of prompt 0.*got -1/);
  });
});
