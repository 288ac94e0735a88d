import { Rng } from '@dpo-ts/core/training';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { CharTokenizer, generate, GPT } from '@dpo-ts/lm';
import { afterAll, describe, expect, it } from 'vitest';
import { generateRollout } from './rollout-generation.js';

// Workers load the packages' dist/: this test needs `npm run build` first (CI builds before testing).
const tokenizer = CharTokenizer.fromCorpus(['abc .']);
const policy = new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 16, dModel: 16, nLayer: 1, nHead: 2, seed: 8 });
afterAll(() => policy.dispose());
const rows = ['a', 'bc', 'c', 'ab', 'b'].map((text) => [tokenizer.bosTokenId, ...tokenizer.encode(text)]);
const options = { maxNewTokens: 6, temperature: 1.2, stopAtEos: true };

describe('generateRollout', () => {
  it('without workers is one generate call on the rollout stream (today)', async () => {
    const rollout = await generateRollout(policy, tokenizer, rows, options, new Rng(3));
    expect(rollout).toEqual(await generate(policy, tokenizer, rows, { ...options, rng: new Rng(3) }));
  });

  it('in seeded tasks: the same rows on the main thread and on 2 workers, each task a generate call of its seed', async () => {
    const sampling = { rowsPerTask: 2 };
    const rng = [new Rng(3), new Rng(3)];
    const main = await expectNoLeak(() =>
      generateRollout(policy, tokenizer, rows, options, rng[0]!, { ...sampling, workers: 'auto' }),
    );
    const threads = await expectNoLeak(() =>
      generateRollout(policy, tokenizer, rows, options, rng[1]!, { ...sampling, workers: 2 }),
    );
    expect(threads).toEqual(main);
    expect(rng[1]!.state()).toEqual(rng[0]!.state()); // one draw per task from the rollout stream
    // Task 1 (rows 2-3) is generate seeded with the stream's second draw.
    const seeds = new Rng(3);
    seeds.nextUint32();
    const task1 = await generate(policy, tokenizer, rows.slice(2, 4), { ...options, seed: seeds.nextUint32() });
    expect(main.tokenIds.slice(2, 4).map((row, b) => row.slice(0, main.lengths[2 + b]))).toEqual(
      task1.tokenIds.map((row, b) => row.slice(0, task1.lengths[b])),
    );
    expect(main.texts.slice(2, 4)).toEqual(task1.texts);
    // Rectangular: every row padded to the longest task, mask 1 exactly on each row's tokens.
    const steps = main.tokenIds[0]!.length;
    expect(main.tokenIds.every((row) => row.length === steps)).toBe(true);
    main.mask.forEach((mask, b) => {
      expect(mask.reduce((a, m) => a + m, 0)).toBe(main.lengths[b]);
    });
  });
});
