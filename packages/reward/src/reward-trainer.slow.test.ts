// A reward model on real text, on wasm: 32-character fragments of the Brown corpus (news),
// each preferred to a corrupted copy with a quarter of its characters replaced by characters
// drawn uniformly from the vocabulary (a "fluency" preference). Held-out pairs come from
// documents never seen in training.
import * as tf from '@tensorflow/tfjs-core';
import { evalKey, METRIC_NAMES } from '@dpo-ts/core';
import { Rng } from '@dpo-ts/core/training';
import { trainEvalSplit } from '@dpo-ts/core/data';
import { selectBackend } from '@dpo-ts/core/backend';
import type { PreferenceRecord } from '@dpo-ts/core/data';
import { CharTokenizer, GPT, loadBrownCorpus } from '@dpo-ts/lm';
import { afterAll, describe, expect, it } from 'vitest';
import { RewardTrainer } from './reward-trainer.js';
import { SequenceRewardModel } from './sequence-reward-model.js';

const FRAGMENT = 32;

function fluencyPairs(
  texts: readonly string[],
  alphabet: readonly string[],
  count: number,
  seed: number,
): PreferenceRecord<string, string>[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => {
    const text = texts[rng.int(texts.length)]!;
    const start = rng.int(text.length - FRAGMENT);
    const chosen = [...text.slice(start, start + FRAGMENT)];
    const rejected = chosen.map((character) =>
      rng.uniform() < 0.25 ? alphabet[rng.int(alphabet.length)]! : character,
    );
    return { prompt: '>', chosen: chosen.join(''), rejected: rejected.join(''), extra: {} };
  });
}

describe('RewardTrainer on real text (wasm)', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('prefers English fragments to corrupted copies on held-out documents', async () => {
    await selectBackend({ backend: 'wasm', quiet: true });
    const texts = (await loadBrownCorpus({ categories: ['news'] })).map((document) => document.text);
    const { train, eval: held } = trainEvalSplit(texts, { evalFraction: 0.2, seed: 1 });
    const tokenizer = CharTokenizer.fromCorpus([...texts, '>']);
    const alphabet = [...new Set(texts.join(''))];
    const model = new SequenceRewardModel(
      new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 36, dModel: 32, nLayer: 2, nHead: 2, seed: 3 }),
      { headSeed: 3 },
    );
    const trainer = await RewardTrainer.create({
      model,
      tokenizer,
      trainDataset: fluencyPairs(train, alphabet, 4000, 2),
      evalDataset: fluencyPairs(held, alphabet, 256, 3),
      config: {
        totalSteps: 150,
        perDeviceTrainBatchSize: 16,
        learningRate: 2e-3,
        warmupSteps: 10,
        perDeviceEvalBatchSize: 64,
      },
    });
    const before = await trainer.evaluate();
    const result = await trainer.train({ progress: false });
    const after = await trainer.evaluate();
    console.info(
      `reward model, Brown fragments vs corrupted: held-out accuracy ${before[evalKey(METRIC_NAMES.accuracy)]!.toFixed(3)} -> ${after[evalKey(METRIC_NAMES.accuracy)]!.toFixed(3)}, ` +
        `loss ${before[evalKey(METRIC_NAMES.loss)]!.toFixed(3)} -> ${after[evalKey(METRIC_NAMES.loss)]!.toFixed(3)}, margin ${after[evalKey(METRIC_NAMES.margin)]!.toFixed(2)}, ${result.wallTimeSeconds.toFixed(1)} s`,
    );
    expect(after[evalKey(METRIC_NAMES.accuracy)]).toBeGreaterThan(0.85);
    expect(after[evalKey(METRIC_NAMES.loss)]).toBeLessThan(before[evalKey(METRIC_NAMES.loss)]!);
    trainer.dispose();
    model.dispose();
  });
});
