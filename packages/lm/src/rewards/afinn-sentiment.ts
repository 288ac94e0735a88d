import { createRequire } from 'node:module';

/** What {@link afinnSentiment} returns for a text. */
export interface AfinnSentiment {
  /** Sum of the AFINN-165 valences (-5 .. +5 each) of the words found, negations flipped. */
  readonly score: number;
  /** `score` divided by the number of word tokens (0 for an empty text). */
  readonly comparative: number;
  /** Words that counted positive, in order. */
  readonly positive: readonly string[];
  /** Words that counted negative, in order. */
  readonly negative: readonly string[];
}

interface SentimentAnalyzer {
  analyze(text: string): { score: number; comparative: number; positive: string[]; negative: string[] };
}

let analyzer: SentimentAnalyzer | undefined;

/**
 * Lexicon sentiment of an English text with the `sentiment` npm package: the AFINN-165 word
 * list (Nielsen 2011; 3,382 words rated -5 to +5), lower-cased word tokens, and a negation
 * rule that flips a word's valence after "not", "don't", ... A plain, deterministic function:
 * the labelling function (or reward) of the sentiment examples.
 *
 * @see F. Å. Nielsen, "A new ANEW: Evaluation of a word list for sentiment analysis in
 *   microblogs", ESWC 2011 workshop; https://github.com/thisandagain/sentiment
 * @example
 * afinnSentiment('The food was great!').score; // 3
 */
export function afinnSentiment(text: string): AfinnSentiment {
  if (analyzer === undefined) {
    const Sentiment = createRequire(import.meta.url)('sentiment') as new () => SentimentAnalyzer;
    analyzer = new Sentiment();
  }
  const { score, comparative, positive, negative } = analyzer.analyze(text);
  // The package returns -0 for negated zero scores and NaN comparatives for empty texts.
  return { score: score + 0, comparative: Number.isFinite(comparative) ? comparative + 0 : 0, positive, negative };
}
