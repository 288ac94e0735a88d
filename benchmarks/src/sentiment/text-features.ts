/**
 * Hashed bag-of-n-gram features of a text for the ground-truth sentiment classifier: word
 * unigrams and bigrams, plus character 3- to 5-grams. Character n-grams matter here: samples of
 * a small character-level model are full of misspellings and fragments ("grea", "terrib"),
 * which word features alone would score as unknown (0); with character n-grams the classifier
 * gives them a graded score, so the reward is defined on everything the policies write.
 */

/** One sparse, L2-normalised feature vector: sorted unique bucket indices and their values. */
export interface SparseFeatures {
  readonly indices: Int32Array;
  readonly values: Float64Array;
}

/** Settings of {@link textFeatures}. */
export interface TextFeatureOptions {
  /** log2 of the number of hash buckets. @defaultValue 18 */
  readonly hashBits?: number;
  /** Smallest and largest character n-gram. @defaultValue [3, 5] */
  readonly charNgramRange?: readonly [number, number];
}

/** Words as the classifier sees them: lower-cased runs of letters, digits and apostrophes, and `!`/`?`. */
export function classifierWords(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9']+|[!?]/g) ?? [];
}

/**
 * 32-bit FNV-1a hash of a string's UTF-16 code units: fast, deterministic, well mixed for short
 * keys. @see Fowler, Noll & Vo (FNV hash), the 1a variant.
 */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * The hashed feature vector of `text`: binary presence of each word unigram (`w:`), word
 * bigram (`b:`) and character n-gram (`c:`, over the words joined by single spaces, with a
 * space at each end), each hashed to one of 2^hashBits buckets (collisions add up), then scaled
 * to unit L2 norm so long and short texts weigh the same. An empty text gives an empty vector.
 */
export function textFeatures(text: string, options: TextFeatureOptions = {}): SparseFeatures {
  const hashBits = options.hashBits ?? 18;
  const [minN, maxN] = options.charNgramRange ?? [3, 5];
  const mask = (1 << hashBits) - 1;
  const words = classifierWords(text);
  const keys = new Set<string>();
  words.forEach((word, i) => {
    keys.add(`w:${word}`);
    if (i > 0) keys.add(`b:${words[i - 1]} ${word}`);
  });
  const joined = ` ${words.join(' ')} `;
  if (words.length > 0) {
    for (let n = minN; n <= maxN; n++) {
      for (let start = 0; start + n <= joined.length; start++) keys.add(`c:${joined.slice(start, start + n)}`);
    }
  }
  const counts = new Map<number, number>();
  for (const key of keys) {
    const bucket = fnv1a(key) & mask;
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  }
  const indices = Int32Array.from([...counts.keys()].sort((a, b) => a - b));
  const values = Float64Array.from(indices, (index) => counts.get(index)!);
  const norm = Math.sqrt(values.reduce((sum, v) => sum + v * v, 0));
  if (norm > 0) for (let i = 0; i < values.length; i++) values[i]! /= norm;
  return { indices, values };
}
