import { InvalidArgumentError } from '@dpo-ts/core';
import type { Tokenizer } from '@dpo-ts/lm';
import { SENTIMENT_ORACLES } from './oracles.js';
import type { GroundTruthReward } from './preference-pairs.js';
import { mean } from './statistics.js';

/** How much appending one string moves the labeler, measured on a set of samples. */
export interface Lever {
  /** The appended string, e.g. `" and"`, `"!"`. */
  readonly text: string;
  /** Mean labeler change when `text` is appended to each completion. */
  readonly meanDelta: number;
  /** Share of samples whose labeler score rose. */
  readonly shareRaised: number;
}

/** A prompt and one of its completions. */
export interface PromptCompletion {
  readonly prompt: string;
  readonly completion: string;
}

/**
 * Finds the single-token levers of a labeler: for each candidate string c (typically every
 * token of the vocabulary, decoded), the change labeler(x, y + c) - labeler(x, y) over
 * `samples` (SFT samples); returns the candidates ranked by mean change, largest first. A lever
 * that raises the score of nearly every sample by more than the within-prompt spread of
 * rewards is a way to win without writing more positive text.
 */
export function findLevers(
  samples: readonly PromptCompletion[],
  labeler: GroundTruthReward,
  candidates: readonly string[],
): Lever[] {
  if (samples.length === 0) throw new InvalidArgumentError('samples', 'a non-empty array', samples);
  const baseline = samples.map((s) => labeler(s.prompt, s.completion));
  const levers = [...new Set(candidates)].map((text) => {
    const deltas = samples.map((s, i) => labeler(s.prompt, s.completion + text) - baseline[i]!);
    return { text, meanDelta: mean(deltas), shareRaised: mean(deltas.map((d) => (d > 0 ? 1 : 0))) };
  });
  return levers.sort((a, b) => b.meanDelta - a.meanDelta || a.text.localeCompare(b.text));
}

/**
 * Occurrences of `lever` in `text`: a lever made of letters counts as a whole word,
 * case-insensitively (`" and"` counts "And" but not "band"); any other lever counts as a
 * substring ("!" counts each exclamation mark). Overlapping occurrences count once.
 */
export function countLever(text: string, lever: string): number {
  const trimmed = lever.trim();
  if (trimmed.length === 0) return 0;
  const escaped = trimmed.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = /^[a-z']+$/i.test(trimmed) ? new RegExp(`\\b${escaped}\\b`, 'gi') : new RegExp(escaped, 'g');
  return text.match(pattern)?.length ?? 0;
}

/** How often a method's completions use each lever, against SFT's. */
export interface LeverUse {
  readonly text: string;
  /** Occurrences per completion, the method's and SFT's. */
  readonly perCompletion: number;
  readonly sftPerCompletion: number;
  /** perCompletion / sftPerCompletion (Infinity when SFT never uses it and the method does). */
  readonly ratio: number;
}

/** Each lever's occurrences per completion in `completions` and in `sftCompletions`, and their ratio. */
export function leverUse(
  completions: readonly string[],
  sftCompletions: readonly string[],
  levers: readonly string[],
): LeverUse[] {
  const rate = (texts: readonly string[], lever: string): number =>
    texts.length === 0 ? NaN : texts.reduce((sum, text) => sum + countLever(text, lever), 0) / texts.length;
  return levers.map((text) => {
    const perCompletion = rate(completions, text);
    const sftPerCompletion = rate(sftCompletions, text);
    const ratio = sftPerCompletion === 0 ? (perCompletion === 0 ? 1 : Infinity) : perCompletion / sftPerCompletion;
    return { text, perCompletion, sftPerCompletion, ratio };
  });
}

/** Removes every occurrence of the levers (as {@link countLever} counts them) from a completion. */
export function removeLevers(completion: string, levers: readonly string[]): string {
  let text = completion;
  for (const lever of levers) {
    const trimmed = lever.trim();
    if (trimmed.length === 0) continue;
    const escaped = trimmed.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    text = /^[a-z']+$/i.test(trimmed)
      ? text.replace(new RegExp(`\\s?\\b${escaped}\\b`, 'gi'), '')
      : text.replace(new RegExp(escaped, 'g'), '');
  }
  return text;
}

/**
 * Share of a method's labeler gain over SFT that its levers carry: with G the gain and G' the
 * gain after deleting the levers from the method's completions (SFT's left as they are),
 * (G - G') / G. NaN when G is 0.
 */
export function leverShareOfGain(
  samples: readonly PromptCompletion[],
  sftMeanReward: number,
  labeler: GroundTruthReward,
  levers: readonly string[],
): { readonly gain: number; readonly gainWithoutLevers: number; readonly share: number } {
  const gain = mean(samples.map((s) => labeler(s.prompt, s.completion))) - sftMeanReward;
  const gainWithoutLevers =
    mean(samples.map((s) => labeler(s.prompt, removeLevers(s.completion, levers)))) - sftMeanReward;
  return { gain, gainWithoutLevers, share: gain === 0 ? NaN : (gain - gainWithoutLevers) / gain };
}

/**
 * The candidates of the lever search: every vocabulary token that decodes to printable text and
 * that neither oracle scores on its own. A token such as " great" raises the labeler because it
 * is positive, which is no gaming; a lever is a token that moves the labeler while carrying no
 * sentiment an independent scorer sees (" and", "!" for a bag-of-n-grams classifier).
 */
export function leverCandidates(tokenizer: Pick<Tokenizer, 'vocabSize' | 'decode'>): string[] {
  const candidates: string[] = [];
  for (let id = 0; id < tokenizer.vocabSize; id++) {
    const text = tokenizer.decode([id]);
    if (text.trim().length === 0 || text.includes('\uFFFD') || /[\n\r\t]/.test(text)) continue;
    if (SENTIMENT_ORACLES.every((oracle) => oracle.score(text) === 0)) candidates.push(text);
  }
  return candidates;
}
