import { describe, expect, it } from 'vitest';
import { loadSentimentSentences, SENTIMENT_SOURCES } from './sentiment-sentences.js';

describe('UCI sentiment labelled sentences', () => {
  it('has 1,000 sentences per site, 500 of each label', async () => {
    const sentences = await loadSentimentSentences();
    expect(sentences).toHaveLength(3000);
    for (const source of SENTIMENT_SOURCES) {
      const site = sentences.filter((s) => s.source === source);
      expect(site).toHaveLength(1000);
      expect(site.filter((s) => s.label === 1)).toHaveLength(500);
      expect(site.filter((s) => s.label === 0)).toHaveLength(500);
    }
    expect(sentences.every((s) => s.text.length > 0 && s.text === s.text.trim())).toBe(true);
    expect(sentences[0]).toEqual({
      text: 'So there is no way for me to plug it in here in the US unless I go by a converter.',
      label: 0,
      source: 'amazon',
    });
  });

  it('loads chosen sources only and rejects unknown ones', async () => {
    const yelp = await loadSentimentSentences({ sources: ['yelp'] });
    expect(yelp).toHaveLength(1000);
    expect(yelp[0]).toEqual({ text: 'Wow... Loved this place.', label: 1, source: 'yelp' });
    await expect(loadSentimentSentences({ sources: ['twitter' as never] })).rejects.toThrow(/options\.sources/);
  });
});
