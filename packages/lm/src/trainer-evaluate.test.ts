import { expectNoLeak } from '@dpo-ts/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { CharTokenizer } from './char-tokenizer.js';
import { DPOTrainer } from './dpo-trainer.js';
import { float64RowLogProb } from './float64-log-probs.test-helper.js';
import { GPT } from './gpt-model.js';
import { SFTTrainer } from './sft-trainer.js';

const tokenizer = CharTokenizer.fromCorpus(['abcdefgh .!']);
const gpt = (seed: number, dropout = 0): GPT =>
  new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 16, dModel: 8, nLayer: 1, nHead: 2, seed, dropout });
const TRAIN = [
  { prompt: 'abc', chosen: 'de!', rejected: 'hh.' },
  { prompt: 'h', chosen: 'gfe', rejected: 'a b' },
];
const EVAL = [
  { prompt: 'cab', chosen: 'a!', rejected: 'a.' },
  { prompt: 'f', chosen: 'fh!', rejected: 'hf' },
  { prompt: 'gg', chosen: 'e', rejected: 'bcd.' },
];

/** Completion log-likelihood of one side, float64, independent of the trainer's code. */
const side = (model: GPT, prompt: string, completion: string): number => {
  const promptIds = [tokenizer.bosTokenId, ...tokenizer.encode(prompt)];
  const ids = [...promptIds, ...tokenizer.encode(completion), tokenizer.eosTokenId];
  return float64RowLogProb(
    model,
    ids,
    ids.map((_, t) => (t >= promptIds.length ? 1 : 0)),
  ).sum;
};

describe("evaluate() in the lm trainers: TRL's eval_ keys, values of a hand loop over the eval set", () => {
  const live: { dispose(): void }[] = [];
  const track = <T extends { dispose(): void }>(x: T): T => {
    live.push(x);
    return x;
  };
  afterAll(() => {
    for (const x of live) x.dispose();
  });

  it('DPO: eval_loss and eval_rewards/* equal the float64 loop over pairs; deterministic with dropout on; no leak', async () => {
    const policy = track(gpt(1, 0.3));
    const reference = track(gpt(2));
    const trainer = track(
      await DPOTrainer.create({
        model: policy,
        referenceModel: reference,
        tokenizer,
        trainDataset: TRAIN,
        evalDataset: EVAL,
        config: { totalSteps: 1, beta: 0.5, perDeviceEvalBatchSize: 2 },
      }),
    );
    await trainer.evaluate(); // builds lazily-created state
    const metrics = await expectNoLeak(() => trainer.evaluate());
    expect(await trainer.evaluate()).toEqual(metrics); // no dropout in evaluation
    expect(Object.keys(metrics).every((key) => key.startsWith('eval_'))).toBe(true);
    const rewards = EVAL.map(({ prompt, chosen, rejected }) => ({
      chosen: 0.5 * (side(policy, prompt, chosen) - side(reference, prompt, chosen)),
      rejected: 0.5 * (side(policy, prompt, rejected) - side(reference, prompt, rejected)),
    }));
    const mean = (f: (r: (typeof rewards)[number]) => number): number =>
      rewards.reduce((sum, r) => sum + f(r), 0) / rewards.length;
    expect(metrics.eval_loss).toBeCloseTo(
      mean((r) => Math.log1p(Math.exp(-(r.chosen - r.rejected)))),
      5,
    );
    expect(metrics['eval_rewards/chosen']).toBeCloseTo(
      mean((r) => r.chosen),
      5,
    );
    expect(metrics['eval_rewards/rejected']).toBeCloseTo(
      mean((r) => r.rejected),
      5,
    );
    expect(metrics['eval_rewards/margins']).toBeCloseTo(
      mean((r) => r.chosen - r.rejected),
      5,
    );
    expect(metrics['eval_rewards/accuracies']).toBeCloseTo(
      mean((r) => (r.chosen > r.rejected ? 1 : 0)),
      6,
    );
    const policyChosen = EVAL.map(({ prompt, chosen }) => side(policy, prompt, chosen));
    expect(metrics['eval_logps/chosen']).toBeCloseTo(policyChosen.reduce((a, b) => a + b, 0) / EVAL.length, 4);
  });

  it("train()'s periodic evaluation logs what evaluate() returns", async () => {
    const model = track(gpt(3));
    const trainer = track(
      await SFTTrainer.create({
        model,
        tokenizer,
        trainDataset: TRAIN.map(({ prompt, chosen }) => ({ prompt, completion: chosen })),
        evalDataset: EVAL.map(({ prompt, chosen }) => ({ prompt, completion: chosen })),
        config: { totalSteps: 2, evalSteps: 2, learningRate: 1e-3 },
      }),
    );
    const logged: Record<string, number>[] = [];
    const result = await trainer.train({
      progress: false,
      onLog: (entry) => {
        if (entry.split === 'eval') logged.push({ ...entry.metrics });
      },
    });
    const after = await trainer.evaluate();
    expect(Object.keys(after).sort()).toEqual(['eval_loss', 'eval_mean_token_accuracy', 'eval_perplexity']);
    expect(logged).toEqual([after]);
    expect(result.evalHistory.map((entry) => entry.metrics)).toEqual([after]);
  });
});
