import { describe, expect, it } from 'vitest';
import { BROWN_CATEGORIES, detokenizeBrownSentence, loadBrownCorpus, parseBrownFile } from './brown-corpus.js';

describe('Brown corpus', () => {
  it('detokenizes tagged sentences', () => {
    expect(
      detokenizeBrownSentence(
        "\tThe/at Fulton/np-tl County/nn-tl said/vbd ``/`` no/at evidence/nn ''/'' that/cs Atlanta's/np$ 1/2/cd ,/, (/( it/pps )/) didn't/dod* ./.",
      ),
    ).toBe('The Fulton County said "no evidence" that Atlanta\'s 1/2, (it) didn\'t.');
    expect(detokenizeBrownSentence("he/pps said/vbd '/' yes/rb '/' ./.")).toBe("he said 'yes'.");
    expect(detokenizeBrownSentence('//in')).toBe('/');
  });

  it('groups lines into paragraphs at tab-indented lines and blank lines', () => {
    const file = '\n\n\tA/at b/nn ./.\nC/at d/nn ./.\n\n\n\tE/at ./.\n';
    expect(parseBrownFile(file)).toEqual([['A b.', 'C d.'], ['E.']]);
  });

  it('loads the news genre, tags stripped', async () => {
    const news = await loadBrownCorpus({ categories: ['news'] });
    expect(news).toHaveLength(44);
    expect(news[0]!.id).toBe('ca01');
    expect(news[0]!.paragraphs[0]![0]).toBe(
      'The Fulton County Grand Jury said Friday an investigation of Atlanta\'s recent primary election produced "no evidence" that any irregularities took place.',
    );
    for (const document of news) {
      expect(document.category).toBe('news');
      // No word/tag pair survives: a tag is lower-case letters and tag symbols after a slash.
      expect(document.text).not.toMatch(/\S\/(?:[a-z$*+-]+|[.,:'`()]+)(?=\s|$)/);
      expect(document.text).not.toMatch(/``|''/);
    }
  });

  it('has 500 texts in 15 genres and honours limit', async () => {
    const all = await loadBrownCorpus();
    expect(all).toHaveLength(500);
    expect(new Set(all.map((d) => d.category)).size).toBe(Object.keys(BROWN_CATEGORIES).length);
    const characters = all.reduce((sum, d) => sum + d.text.length, 0);
    expect(characters).toBeGreaterThan(5_500_000);
    expect(characters).toBeLessThan(6_500_000);
    expect(await loadBrownCorpus({ categories: ['humor'], limit: 2 })).toHaveLength(2);
    await expect(loadBrownCorpus({ categories: ['poetry' as never] })).rejects.toThrow(/options\.categories/);
  });
});
