import { InvalidArgumentError, requireInteger } from '@dpo-ts/core';
import { mixSeeds, Rng } from '@dpo-ts/core/training';

/** What {@link retrievalAccuracy} measured. */
export interface RetrievalResult {
  /** Share of images whose own caption scored above every distractor (ties count as misses). */
  readonly accuracy: number;
  /** 1 / candidates: a scorer that knows nothing. */
  readonly chance: number;
  /** Images tested (n, the rows of the embeddings). */
  readonly images: number;
  /** Captions each image chose among: its own and `candidates - 1` distractors. */
  readonly candidates: number;
}

/**
 * Caption retrieval among distractors, CLIP's zero-shot measure at small scale: for image i,
 * its caption and `candidates - 1` other captions drawn uniformly (without replacement) among
 * the rows whose caption text differs from i's; a hit when its own caption has the strictly
 * highest similarity. Works on host embeddings (dot products; pass unit vectors for cosine).
 *
 * @param imageEmbeddings - `[n, dim]` row-major.
 * @param textEmbeddings - `[n, dim]`; row i is image i's caption.
 * @param captions - the n caption strings (distractors must read differently).
 * @param seed - draws of the distractors; the same seed gives the same candidates.
 */
export function retrievalAccuracy(
  imageEmbeddings: Float32Array,
  textEmbeddings: Float32Array,
  dim: number,
  captions: readonly string[],
  candidates: number,
  seed = 0,
): RetrievalResult {
  const n = captions.length;
  requireInteger('dim', dim, { min: 1 });
  requireInteger('candidates', candidates, { min: 2 });
  if (imageEmbeddings.length !== n * dim)
    throw new InvalidArgumentError('imageEmbeddings.length', `${n * dim} (captions x dim)`, imageEmbeddings.length);
  if (textEmbeddings.length !== n * dim)
    throw new InvalidArgumentError('textEmbeddings.length', `${n * dim} (captions x dim)`, textEmbeddings.length);
  const rng = new Rng(seed);
  const dot = (i: number, j: number): number => {
    let s = 0;
    for (let d = 0; d < dim; d++) s += imageEmbeddings[i * dim + d]! * textEmbeddings[j * dim + d]!;
    return s;
  };
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const pool = [...Array(n).keys()].filter((j) => captions[j] !== captions[i]);
    if (pool.length < candidates - 1)
      throw new InvalidArgumentError('captions', `at least ${candidates} distinct captions`, pool.length + 1);
    for (let k = 0; k < candidates - 1; k++) {
      const pick = k + rng.int(pool.length - k); // partial Fisher-Yates
      [pool[k], pool[pick]] = [pool[pick]!, pool[k]!];
    }
    const own = dot(i, i);
    if (pool.slice(0, candidates - 1).every((j) => dot(i, j) < own)) hits += 1;
  }
  return { accuracy: hits / n, chance: 1 / candidates, images: n, candidates };
}

/** The stream salt of {@link perImageRetrievalHits}' distractor draws: image k draws from `Rng(mixSeeds(seed, 5, k))`. */
const DISTRACTOR_STREAM = 5;

/**
 * Caption retrieval per image, for images sampled from a list of captions: image k shows
 * caption `captionIndices[k]` (default `k % T`) of the T captions; it is a hit (1) when that
 * caption scores strictly above every one of `candidates - 1` distinct other captions drawn for
 * image k from `Rng(mixSeeds(seed, 5, k))`, so every model sampled on the same captions meets the
 * same distractors (paired comparisons). Chance is 1 / candidates for a scorer that knows nothing.
 * Dot products of host embeddings: pass unit vectors for cosine.
 * @param imageEmbeddings - `[n, dim]` row-major.
 * @param textEmbeddings - `[T, dim]`, one row per distinct caption.
 * @param candidates - the caption and its distractors (at most T are used).
 * @param captionIndices - n caption rows; default image k shows caption k % T.
 * @returns n hits, 0 or 1.
 */
export function perImageRetrievalHits(
  imageEmbeddings: Float32Array,
  textEmbeddings: Float32Array,
  dim: number,
  candidates: number,
  seed: number,
  captionIndices?: readonly number[],
): number[] {
  requireInteger('dim', dim, { min: 1 });
  requireInteger('candidates', candidates, { min: 2 });
  const captionCount = textEmbeddings.length / dim;
  const count = imageEmbeddings.length / dim;
  if (captionIndices !== undefined && captionIndices.length !== count)
    throw new InvalidArgumentError('captionIndices.length', `${count} (one per image)`, captionIndices.length);
  const dot = (k: number, c: number): number => {
    let sum = 0;
    for (let d = 0; d < dim; d++) sum += imageEmbeddings[k * dim + d]! * textEmbeddings[c * dim + d]!;
    return sum;
  };
  return Array.from({ length: count }, (_, k) => {
    const own = captionIndices?.[k] ?? k % captionCount;
    const rng = new Rng(mixSeeds(seed, DISTRACTOR_STREAM, k));
    const pool = Array.from({ length: captionCount }, (_, c) => c).filter((c) => c !== own);
    const picks = Math.min(candidates - 1, pool.length);
    for (let j = 0; j < picks; j++) {
      const pick = j + rng.int(pool.length - j);
      [pool[j], pool[pick]] = [pool[pick]!, pool[j]!];
    }
    const score = dot(k, own);
    return pool.slice(0, picks).every((c) => dot(k, c) < score) ? 1 : 0;
  });
}
