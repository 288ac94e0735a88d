import { trainEvalSplit } from '@dpo-ts/core/data';
import { loadSentimentSentences } from '@dpo-ts/lm';
import { describe, expect, it } from 'vitest';
import { trainSentimentClassifier } from './sentiment-classifier.js';
import { classifierWords, fnv1a, textFeatures } from './text-features.js';

describe('textFeatures', () => {
  it('hashes with 32-bit FNV-1a (published test vectors) into unit-norm sparse vectors', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
    const x = textFeatures("Great movie, didn't like the end!");
    expect(x.values.reduce((sum, v) => sum + v * v, 0)).toBeCloseTo(1, 12);
    expect([...x.indices]).toEqual([...x.indices].sort((a, b) => a - b));
    expect(classifierWords("Great movie, didn't like the end!")).toEqual([
      'great',
      'movie',
      "didn't",
      'like',
      'the',
      'end',
      '!',
    ]);
    expect(textFeatures('...').indices.length).toBe(0);
  });
});

describe('trainSentimentClassifier', () => {
  it('scores held-out UCI sentences well above chance, identically for the same split', async () => {
    const sentences = await loadSentimentSentences();
    const split = trainEvalSplit(sentences, { evalSize: 600, seed: 1 });
    const classifier = trainSentimentClassifier(split.train, { iterations: 80 });
    expect(classifier.accuracy(split.eval)).toBeGreaterThan(0.75); // 0.5 is chance (balanced classes)
    expect(classifier.accuracy(split.train)).toBeGreaterThan(classifier.accuracy(split.eval) - 0.01);
    const again = trainSentimentClassifier(split.train, { iterations: 80 });
    for (const s of split.eval.slice(0, 50)) expect(again.logit(s.text)).toBe(classifier.logit(s.text));
    expect(classifier.logit('This movie was great, I loved it!')).toBeGreaterThan(0);
    expect(classifier.logit('Terrible, boring and a waste of time.')).toBeLessThan(0);
    expect(classifier.probability('')).toBeGreaterThan(0); // empty text: the bias alone, finite
  });
});
