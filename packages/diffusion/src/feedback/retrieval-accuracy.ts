import { InvalidArgumentError, requireInteger } from '@dpo-ts/core';
import { Rng } from '@dpo-ts/core/training';

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
