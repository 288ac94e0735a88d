import { CharTokenizer } from '@dpo-ts/lm';
import { describe, expect, it } from 'vitest';
import { buildRewardBatch, tokenizeRewardPairs } from './reward-pairs.js';
import { DEFAULT_REWARD_TRAINER_CONFIG, resolveRewardTrainerConfig } from './reward-trainer-config.js';

const tokenizer = CharTokenizer.fromCorpus(['>abc']); // PAD 0, BOS 1, EOS 2, UNK 3, '>' 4, a 5, b 6, c 7

describe('reward pairs', () => {
  it('tokenises, keeps margins, drops pairs whose rows exceed maxLength, and lays out chosen rows first', () => {
    const { pairs, droppedIndices } = tokenizeRewardPairs(
      tokenizer,
      [
        { prompt: '>', chosen: 'ab', rejected: 'c', extra: { margin: 1.5 } },
        { prompt: '>', chosen: 'abcab', rejected: 'a', extra: {} }, // BOS > abcab EOS = 8 tokens > 6
        { prompt: '>', chosen: 'a', rejected: 'bb', extra: {} },
      ],
      6,
    );
    expect(droppedIndices).toEqual([1]);
    expect(pairs.map((p) => p.margin)).toEqual([1.5, 0]);
    const batch = buildRewardBatch(pairs, tokenizer, 6);
    expect(batch.rows.numPairs).toBe(2);
    expect(batch.hasMargins).toBe(true);
    expect(Array.from(batch.margins)).toEqual([1.5, 0]);
    // rows: chosen 0, chosen 1, rejected 0, rejected 1; padded to the longest (5)
    expect(Array.from(batch.rows.inputIds)).toEqual([1, 4, 5, 6, 2, 1, 4, 5, 2, 0, 1, 4, 7, 2, 0, 1, 4, 6, 6, 2]);
    expect(() =>
      tokenizeRewardPairs(tokenizer, [{ prompt: '>', chosen: 'a', rejected: 'b', extra: { margin: '1' } }], 6),
    ).toThrow(/records\[0\].extra.margin/);
  });

  it('resolves the trainer config with TRL defaults and names bad fields', () => {
    expect(resolveRewardTrainerConfig({ totalSteps: 3 })).toMatchObject({
      ...DEFAULT_REWARD_TRAINER_CONFIG,
      totalSteps: 3,
      maxLength: undefined,
      centerRewardsCoefficient: undefined,
    });
    expect(() => resolveRewardTrainerConfig({ totalSteps: 3, centerRewardsCoefficient: -0.1 })).toThrow(
      /config.centerRewardsCoefficient/,
    );
    expect(() => resolveRewardTrainerConfig({ totalSteps: 3, lrSchedule: 'step' as never })).toThrow(
      /config.lrSchedule/,
    );
  });
});
