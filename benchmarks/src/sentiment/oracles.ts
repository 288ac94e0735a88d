import { createRequire } from 'node:module';
import { afinnSentiment } from '@dpo-ts/lm';

/**
 * A sentiment scorer that never labels: it only judges the methods' samples, so a method cannot
 * have been trained toward its quirks. Higher is more positive.
 */
export interface SentimentOracle {
  /** The name in the report's tables (`VADER`, `AFINN`). */
  readonly name: OracleName;
  /** What one score means, for the report. */
  readonly scale: string;
  /** The score of a whole text (prompt + completion). */
  score(text: string): number;
}

/** The oracles of the benchmark. */
export type OracleName = 'VADER' | 'AFINN';

interface VaderModule {
  readonly SentimentIntensityAnalyzer: {
    polarity_scores(text: string): { neg: number; neu: number; pos: number; compound: number };
  };
}

let vader: VaderModule | undefined;

/**
 * VADER's compound score (Hutto & Gilbert 2014) with the `vader-sentiment` npm port: the sum of
 * the lexicon valences of the words (7,500 entries rated -4..+4 by ten raters), adjusted by
 * VADER's rules (negation x -0.74, boosters such as "very", ALL CAPS, "but", "!" up to +0.292
 * each), normalised as x / sqrt(x^2 + 15) into [-1, 1]. A rule-based scorer built from other
 * data than the labeler's (human ratings of tweets, reviews, editorials).
 *
 * @see C. J. Hutto and E. Gilbert, "VADER: A Parsimonious Rule-based Model for Sentiment
 *   Analysis of Social Media Text", ICWSM 2014.
 */
export const VADER_ORACLE: SentimentOracle = {
  name: 'VADER',
  scale: 'compound score in [-1, 1]',
  score(text) {
    vader ??= createRequire(import.meta.url)('vader-sentiment') as VaderModule;
    return vader.SentimentIntensityAnalyzer.polarity_scores(text).compound;
  },
};

/**
 * AFINN-165 (Nielsen 2011) through lm's `afinnSentiment` (the `sentiment` package: 3,382 words
 * rated -5..+5, negation flips): the comparative score, the summed valence divided by the number
 * of word tokens, so that writing longer does not by itself move it.
 *
 * @see F. Å. Nielsen, "A new ANEW: Evaluation of a word list for sentiment analysis in
 *   microblogs", ESWC 2011 workshop.
 */
export const AFINN_ORACLE: SentimentOracle = {
  name: 'AFINN',
  scale: 'summed AFINN-165 valence per word',
  score: (text) => afinnSentiment(text).comparative,
};

/** Both oracles, in report order. */
export const SENTIMENT_ORACLES: readonly SentimentOracle[] = [VADER_ORACLE, AFINN_ORACLE];
