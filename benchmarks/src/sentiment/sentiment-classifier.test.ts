import { trainEvalSplit } from '@dpo-ts/core';
import { loadSentimentSentences } from '@dpo-ts/lm';
import { describe, expect, it } from 'vitest';
import { trainSentimentClassifier } from './sentiment-classifier.js';
import { fnv1a, textFeatures } from './text-features.js';

describe('trainSentimentClassifier', () => {
  it('scores held-out UCI sentences well above chance, identically for the same split', async () => {
    const sentences = await loadSentimentSentences();
    const split = trainEvalSplit(sentences, { evalSize: 600, seed: 1 });
    const started = performance.now();
    const classifier = trainSentimentClassifier(split.train);
    const seconds = (performance.now() - started) / 1000;
    const heldOut = classifier.accuracy(split.eval);
    console.log(`held-out ${heldOut} train ${classifier.accuracy(split.train)} loss ${classifier.summary.trainLoss} ${seconds}s`);
    expect(heldOut).toBeGreaterThan(0.75);
    const again = trainSentimentClassifier(split.train);
    for (const s of split.eval.slice(0, 50)) expect(again.logit(s.text)).toBe(classifier.logit(s.text));
    expect(classifier.logit('This movie was great, I loved it!')).toBeGreaterThan(0);
    expect(classifier.logit('Terrible, boring and a waste of time.')).toBeLessThan(0);
  });
});
