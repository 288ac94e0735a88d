import { createRequire } from 'node:module';
import { InvalidArgumentError } from '@dpo-ts/core';
import { distinctN, realWordRate, textWords } from '@dpo-ts/lm';

/** What a method's samples look like as English, whatever their reward. */
export interface QualityGuards {
  /** Negative log-likelihood per completion token under the pretrained base: -sum log p / tokens. */
  readonly nllPerToken: number;
  /** Share of completion words found in the dictionary (lm's `realWordRate`). */
  readonly realWordRate: number;
  /** Distinct-1 and distinct-2 over the words of all completions (lm's `distinctN`). */
  readonly distinct1: number;
  readonly distinct2: number;
  /** Mean completion length, tokens (EOS included when sampled). */
  readonly meanLength: number;
  /** Share of completions that ended with EOS within the token limit. */
  readonly eosRate: number;
}

/** One evaluated completion, as the guards need it. */
export interface GuardedSample {
  readonly completion: string;
  /** Sampled ids, EOS included when sampled. */
  readonly completionIds: readonly number[];
  readonly finished: boolean;
  /** log p_base(completion | prompt), summed over the completion's tokens. */
  readonly baseLogProb: number;
}

/**
 * The quality guards of a set of completions:
 *
 *   nllPerToken = -sum_i baseLogProb_i / sum_i |completionIds_i|
 *   realWordRate = known words / words, distinct-n = distinct word n-grams / word n-grams
 *   meanLength = mean_i |completionIds_i|,  eosRate = mean_i [finished_i]
 *
 * NLL is per token pooled over samples (a long gibberish sample weighs more than a short one),
 * under the pretrained base rather than the SFT model, so it measures English, not closeness
 * to the reviews the SFT model was tuned on.
 */
export function qualityGuards(samples: readonly GuardedSample[], dictionary: ReadonlySet<string>): QualityGuards {
  if (samples.length === 0) throw new InvalidArgumentError('samples', 'a non-empty array', samples);
  let tokens = 0;
  let logProb = 0;
  let finished = 0;
  for (const sample of samples) {
    tokens += sample.completionIds.length;
    logProb += sample.baseLogProb;
    finished += sample.finished ? 1 : 0;
  }
  const words = samples.map((sample) => textWords(sample.completion));
  return {
    nllPerToken: tokens === 0 ? NaN : -logProb / tokens,
    realWordRate: realWordRate(
      samples.map((sample) => sample.completion),
      dictionary,
    ).rate,
    distinct1: distinctN(words, 1).rate,
    distinct2: distinctN(words, 2).rate,
    meanLength: tokens / samples.length,
    eosRate: finished / samples.length,
  };
}

let englishWords: ReadonlySet<string> | undefined;

/** The `an-array-of-english-words` list (~275k lower-case words) as a set, loaded once. */
export function englishDictionary(): ReadonlySet<string> {
  englishWords ??= new Set<string>(createRequire(import.meta.url)('an-array-of-english-words') as string[]);
  return englishWords;
}

/**
 * Whether a method's samples lost English against SFT's: real-word rate down by more than
 * `realWordDrop` (absolute), NLL per token under the base up by more than `nllRise` nats, or
 * distinct-2 down by more than `distinctDrop`. Returns the reasons, empty when none.
 */
export function englishLossFlags(
  method: QualityGuards,
  sft: QualityGuards,
  thresholds: { readonly realWordDrop: number; readonly nllRise: number; readonly distinctDrop: number } = {
    realWordDrop: 0.05,
    nllRise: 0.5,
    distinctDrop: 0.1,
  },
): string[] {
  const reasons: string[] = [];
  if (sft.realWordRate - method.realWordRate > thresholds.realWordDrop)
    reasons.push(`real-word rate ${method.realWordRate.toFixed(3)} vs SFT ${sft.realWordRate.toFixed(3)}`);
  if (method.nllPerToken - sft.nllPerToken > thresholds.nllRise)
    reasons.push(`base NLL ${method.nllPerToken.toFixed(2)} vs SFT ${sft.nllPerToken.toFixed(2)} nats/token`);
  if (sft.distinct2 - method.distinct2 > thresholds.distinctDrop)
    reasons.push(`distinct-2 ${method.distinct2.toFixed(3)} vs SFT ${sft.distinct2.toFixed(3)}`);
  return reasons;
}
