import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { DataFormatError, InvalidArgumentError } from '@dpo-ts/core';

/** The three review sites of the UCI Sentiment Labelled Sentences data set. */
export const SENTIMENT_SOURCES = ['amazon', 'imdb', 'yelp'] as const;

/** Amazon product reviews, IMDb movie reviews or Yelp restaurant reviews. */
export type SentimentSource = (typeof SENTIMENT_SOURCES)[number];

/** One labelled sentence. */
export interface SentimentSentence {
  /** The sentence, with surrounding whitespace trimmed. */
  readonly text: string;
  /** 1 positive, 0 negative. */
  readonly label: 0 | 1;
  /** The review site the sentence comes from (its file in the data set). */
  readonly source: SentimentSource;
}

/** Which sentences {@link loadSentimentSentences} returns. */
export interface LoadSentimentSentencesOptions {
  /** @defaultValue all three, in the order amazon, imdb, yelp */
  readonly sources?: readonly SentimentSource[];
}

/**
 * The UCI "Sentiment Labelled Sentences" data set: 1,000 sentences from each of Amazon,
 * IMDb and Yelp reviews, 500 labelled positive (1) and 500 negative (0) per site, 3,000 in all;
 * CC BY 4.0. Read from the test fixtures of the `sentiment` npm package
 * (`test/fixtures/{amazon,imdb,yelp}.json`, arrays of `{ "text", "class" }`); nothing is
 * fetched.
 *
 * Each fixture ends with an empty record `{"text": "", "class": null}` (an artefact of the
 * trailing newline of the original text files); it is dropped. Any other record without a
 * non-empty text and a 0/1 class is an error. Sentences keep file order; a few are
 * duplicated within a site (10 on Amazon, 3 on IMDb, 4 on Yelp), as in the original data.
 *
 * @see D. Kotzias, M. Denil, N. de Freitas and P. Smyth, "From Group to Individual Labels
 *   using Deep Features", KDD 2015. https://archive.ics.uci.edu/dataset/331
 */
export async function loadSentimentSentences(
  options: LoadSentimentSentencesOptions = {},
): Promise<SentimentSentence[]> {
  const sources = options.sources ?? SENTIMENT_SOURCES;
  for (const source of sources) {
    if (!(SENTIMENT_SOURCES as readonly string[]).includes(source)) {
      throw new InvalidArgumentError('options.sources', `entries from ${SENTIMENT_SOURCES.join(', ')}`, source);
    }
  }
  const require = createRequire(import.meta.url);
  const sentences: SentimentSentence[] = [];
  for (const source of sources) {
    const path = require.resolve(`sentiment/test/fixtures/${source}.json`);
    let records: unknown;
    try {
      records = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      throw new DataFormatError(path, 0, `not valid JSON: ${(error as Error).message}`, { cause: error });
    }
    if (!Array.isArray(records)) throw new DataFormatError(path, 0, 'expected a JSON array of { text, class }');
    records.forEach((record: { text?: unknown; class?: unknown } | null, index) => {
      const text = typeof record?.text === 'string' ? record.text.trim() : undefined;
      const isTrailingBlank = index === records.length - 1 && text === '' && record?.class === null;
      if (isTrailingBlank) return;
      if (!text || (record?.class !== 0 && record?.class !== 1)) {
        throw new DataFormatError(
          path,
          0,
          `record ${index} must have a non-empty "text" and "class" 0 or 1: got ${JSON.stringify(record)}`,
        );
      }
      sentences.push({ text, label: record.class, source });
    });
  }
  return sentences;
}
