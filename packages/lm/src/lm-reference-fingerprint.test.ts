import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { ScoreReduction } from '@dpo-ts/core';
import { ReferenceScoreCache } from '@dpo-ts/core/preference';
import { afterAll, describe, expect, it } from 'vitest';
import { CharTokenizer } from './char-tokenizer.js';
import { tokenizePreferenceDataset } from './dpo-dataset.js';
import { DPOTrainer } from './dpo-trainer.js';
import { GPT } from './gpt-model.js';
import type { GPTConfigInput } from './gpt-config.js';
import { lmReferenceFingerprint } from './lm-reference-fingerprint.js';
import { sequenceLogProbs } from './sequence-log-probs.js';

const tokenizer = CharTokenizer.fromCorpus(['abcdefgh .!']);
const PAIRS = [
  { prompt: 'abc', chosen: 'de!', rejected: 'hh.' },
  { prompt: 'h', chosen: 'gfe', rejected: 'a b' },
];
const LAYOUT = {
  maxLength: 16,
  maxPromptLength: 8,
  maxCompletionLength: Infinity,
  truncationMode: 'keep_end' as const,
};
const BASE: GPTConfigInput = {
  vocabSize: tokenizer.vocabSize,
  contextLength: 16,
  dModel: 16,
  nLayer: 1,
  nHead: 2,
  seed: 3,
  initStd: 1,
}; // large weights: head count and epsilon show in the scores
const models: GPT[] = [];
const root = await fs.mkdtemp(path.join(tmpdir(), 'dpo-ts-lm-fingerprint-'));
afterAll(async () => {
  models.forEach((model) => {
    model.dispose();
  });
  await fs.rm(root, { recursive: true, force: true });
});
const gpt = (overrides: Partial<GPTConfigInput> = {}): GPT => {
  const model = new GPT({ ...BASE, ...overrides });
  models.push(model);
  return model;
};

interface Setup {
  readonly reference?: GPT;
  readonly reduction?: ScoreReduction;
  readonly tokenizer?: CharTokenizer;
}
const data = (t: CharTokenizer) => tokenizePreferenceDataset(PAIRS, t, LAYOUT, 'train');
const open = async (file: string, setup: Setup) =>
  ReferenceScoreCache.open(
    file,
    await lmReferenceFingerprint({
      reference: setup.reference ?? gpt(),
      reduction: setup.reduction ?? 'sum',
      trainData: data(setup.tokenizer ?? tokenizer),
      evalData: undefined,
    }),
  );

describe('LM reference-score fingerprint', () => {
  it('a head count or layer-norm epsilon change keeps the weights but changes the scores, and misses the cache', async () => {
    const base = gpt();
    const variants = { nHead: gpt({ nHead: 4 }), layerNormEpsilon: gpt({ layerNormEpsilon: 1e-2 }) };
    const ids = tf.tensor2d([[1, 5, 6, 7, 8]], [1, 5], 'int32');
    const mask = tf.tensor2d([[0, 0, 1, 1, 1]], [1, 5]);
    const score = (model: GPT): number => tf.tidy(() => sequenceLogProbs(model, ids, mask).sum.dataSync()[0]!);
    const baseParts = await lmReferenceFingerprint({
      reference: base,
      reduction: 'sum',
      trainData: data(tokenizer),
      evalData: undefined,
    });
    for (const variant of Object.values(variants)) {
      const parts = await lmReferenceFingerprint({
        reference: variant,
        reduction: 'sum',
        trainData: data(tokenizer),
        evalData: undefined,
      });
      expect(parts.weights).toBe(baseParts.weights); // the weights alone cannot tell them apart...
      expect(Math.abs(score(variant) - score(base))).toBeGreaterThan(1e-3); // ...yet the scores differ
      const changed = Object.keys(parts).filter((name) => parts[name] !== baseParts[name]);
      expect(changed).toEqual(['model']);
    }
    tf.dispose([ids, mask]);
  });

  it('changing the model config, tokenizer or reduction invalidates a saved cache; seed and dropout do not', async () => {
    const file = path.join(root, 'scores.json');
    const first = await open(file, { reference: gpt({ dropout: 0 }) });
    first.set('train:0', { chosen: -1, rejected: -2 });
    await first.save();
    const otherTokenizer = CharTokenizer.fromCorpus(['abcdefgh .!xyz']); // same ids for the data, larger vocabulary
    expect(data(otherTokenizer).fingerprint).toBe(data(tokenizer).fingerprint);
    const cases: [Setup, string][] = [
      [{ reference: gpt({ nHead: 4 }) }, 'model'],
      [{ reference: gpt({ layerNormEpsilon: 1e-3 }) }, 'model'],
      [{ reference: gpt({ tieWeights: false }) }, 'model, weights'],
      [{ tokenizer: otherTokenizer }, 'tokenizer'],
      [{ reduction: 'mean' }, 'scoring'],
    ];
    for (const [setup, changed] of cases) {
      const cache = await open(file, setup);
      expect([cache.status, cache.size, cache.invalidation]).toEqual([
        'invalidated',
        0,
        `fingerprint parts that differ: ${changed}`,
      ]);
    }
    // Init-only fields change nothing a reference computes once its weights are given.
    const same = gpt({ dropout: 0.3 });
    for (const [name, variable] of gpt({ dropout: 0 }).namedVariables())
      same.namedVariables().get(name)!.assign(variable);
    expect((await open(file, { reference: same })).status).toBe('loaded');
  });

  it('without a file the cache stays in memory; a bad path fails before scoring, naming the option', async () => {
    const create = (referenceCacheFile: string | undefined) =>
      DPOTrainer.create({
        model: gpt(),
        tokenizer,
        trainDataset: PAIRS,
        config: { totalSteps: 1, precomputeRefLogProbs: true },
        referenceCacheFile,
      });
    const trainer = await create(undefined);
    expect([trainer.referenceCache!.file, trainer.referenceCache!.status]).toEqual([undefined, 'new']);
    trainer.dispose();
    await expect(create(path.join(root, 'nope', 'scores.json'))).rejects.toThrow(
      /^options\.referenceCacheFile must be a writable file path in an existing directory: .*does not exist/,
    );
    await expect(create(root)).rejects.toThrow(/options\.referenceCacheFile .*\(it is a directory\)/);
  });
});
