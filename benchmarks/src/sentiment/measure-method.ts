import {
  type CausalLanguageModel,
  type CompletionSample,
  completionLogProbs,
  type GPT,
  sampleCompletions,
  type Tokenizer,
} from '@dpo-ts/lm';
import { bestOfNIndices, bestOfNKLBound } from './best-of-n.js';
import type { Selector } from './method-registry.js';
import { SENTIMENT_ORACLES } from './oracles.js';
import type { GroundTruthReward } from './preference-pairs.js';
import { type QualityGuards, qualityGuards } from './quality-guards.js';
import { estimateSequenceKL } from './sequence-kl.js';
import { mean } from './statistics.js';

/** The scores every sample gets: the labeler's and each oracle's. */
export const SCORE_NAMES = ['labeler', 'VADER', 'AFINN'] as const;
/** One of {@link SCORE_NAMES}. */
export type ScoreName = (typeof SCORE_NAMES)[number];

/** A method measured on one prompt set: per-prompt scores, KL from SFT, quality guards. */
export interface MethodMeasurement {
  /** For each score, the mean over each prompt's samples, in prompt order. */
  readonly perPrompt: Readonly<Record<ScoreName, readonly number[]>>;
  /** KL(method || SFT), nats per completion: an estimate from the samples, best-of-N's bound, or 0. */
  readonly kl: number;
  readonly klStandardError: number;
  readonly klSource: 'estimate' | 'bound' | 'reference';
  readonly guards: QualityGuards;
  /** Every sample, prompt-major (the gaming check reads them). */
  readonly samples: readonly { readonly prompt: string; readonly completion: string }[];
  /** Seconds spent measuring (not part of the method's cost). */
  readonly wallSeconds: number;
}

/** What {@link measureMethod} measures with. */
export interface MeasureOptions {
  /** The SFT model: the reference of every KL and the sampler of best-of-N. */
  readonly sft: GPT;
  /** The pretrained base: the quality guards' NLL. */
  readonly pretrained: CausalLanguageModel;
  readonly tokenizer: Tokenizer;
  readonly prompts: readonly string[];
  readonly samplesPerPrompt: number;
  readonly maxNewTokens: number;
  readonly labeler: GroundTruthReward;
  readonly dictionary: ReadonlySet<string>;
  /** Sampling seed: the same for every method of a phase (common random numbers). */
  readonly seed: number;
}

/**
 * Samples `samplesPerPrompt` completions of every prompt from what a method produced (a policy,
 * a best-of-N selector over SFT samples, or the SFT model itself when `method` is undefined) at
 * temperature 1, and measures them: labeler, VADER and AFINN scores of prompt + completion,
 * averaged per prompt; KL from the SFT model (k1 estimate from the policy's own samples,
 * best-of-N's log N - (N - 1)/N bound, 0 for SFT); quality guards with the NLL under the
 * pretrained base.
 */
export async function measureMethod(
  method: { readonly policy: CausalLanguageModel } | { readonly selector: Selector } | undefined,
  options: MeasureOptions,
): Promise<MethodMeasurement> {
  const started = performance.now();
  const { sft, tokenizer, samplesPerPrompt } = options;
  const repeated = (times: number) => options.prompts.flatMap((prompt) => Array.from({ length: times }, () => prompt));
  const sample = (model: CausalLanguageModel, prompts: readonly string[]) =>
    sampleCompletions(model, tokenizer, prompts, {
      maxNewTokens: options.maxNewTokens,
      temperature: 1,
      seed: options.seed,
      batchSize: 64,
      // Batches of 64 on every core (one per batch at most); the samples do not depend on it.
      workers: 'auto',
    });
  let samples: CompletionSample[];
  let kl = { mean: 0, standardError: 0, source: 'reference' as MethodMeasurement['klSource'] };
  if (method === undefined) {
    samples = await sample(sft, repeated(samplesPerPrompt));
  } else if ('policy' in method) {
    samples = await sample(method.policy, repeated(samplesPerPrompt));
    const estimate = await estimateSequenceKL(method.policy, sft, tokenizer, samples);
    kl = { mean: estimate.mean, standardError: estimate.standardError, source: 'estimate' };
  } else {
    // N candidates for each evaluation sample, consecutive: [prompt][sample][candidate].
    const { n } = method.selector;
    const candidates = await sample(sft, repeated(samplesPerPrompt * n));
    const scores = await method.selector.scores(
      candidates.map((c) => c.prompt),
      candidates.map((c) => c.completion),
    );
    samples = bestOfNIndices(scores, n, n).map((index) => candidates[index]!);
    kl = { mean: bestOfNKLBound(n), standardError: 0, source: 'bound' };
  }
  const baseLogProbs = await completionLogProbs(options.pretrained, tokenizer, samples, 64);
  const texts = samples.map((s) => s.prompt + s.completion);
  const scores: Record<ScoreName, number[]> = {
    labeler: samples.map((s) => options.labeler(s.prompt, s.completion)),
    VADER: texts.map((text) => SENTIMENT_ORACLES[0]!.score(text)),
    AFINN: texts.map((text) => SENTIMENT_ORACLES[1]!.score(text)),
  };
  const perPrompt = Object.fromEntries(
    SCORE_NAMES.map((name) => [name, perPromptMeans(scores[name], samplesPerPrompt)]),
  ) as Record<ScoreName, number[]>;
  return {
    perPrompt,
    kl: kl.mean,
    klStandardError: kl.standardError,
    klSource: kl.source,
    guards: qualityGuards(
      samples.map((s, i) => ({ ...s, baseLogProb: baseLogProbs[i]! })),
      options.dictionary,
    ),
    samples: samples.map((s) => ({ prompt: s.prompt, completion: s.completion })),
    wallSeconds: (performance.now() - started) / 1000,
  };
}

/** Means of consecutive groups of `groupSize` values (prompt-major samples -> one value per prompt). */
export function perPromptMeans(values: readonly number[], groupSize: number): number[] {
  if (values.length % groupSize !== 0)
    throw new RangeError(`values.length ${values.length} is not a multiple of groupSize ${groupSize}`);
  return Array.from({ length: values.length / groupSize }, (_, p) =>
    mean(values.slice(p * groupSize, (p + 1) * groupSize)),
  );
}
