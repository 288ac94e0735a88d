import { mixSeeds } from '@dpo-ts/core/training';
import { bootstrapGroupedMeanCI, type ConfidenceInterval, perPromptWins } from './bootstrap.js';
import { addCosts, type ComputeCost } from './compute-cost.js';
import type { SeedResult } from './experiment-seed.js';
import { type Lever, type LeverUse, leverUse } from './gaming-check.js';
import { SCORE_NAMES, type ScoreName } from './measure-method.js';
import { englishLossFlags, type QualityGuards } from './quality-guards.js';
import { mean, standardDeviation } from './statistics.js';

/** One method row over all seeds. */
export interface MethodSummary {
  readonly name: string;
  readonly labelQueries: number | null;
  /** The setting the validation sweep chose, per seed. */
  readonly chosen: readonly string[];
  /** Mean per-prompt gain over SFT on test prompts, per score, with a 95% two-level bootstrap CI (seeds, then prompts). */
  readonly gains: Readonly<Record<ScoreName, ConfidenceInterval>>;
  /** Standard deviation of the per-seed mean gains, per score (0 with one seed). */
  readonly seedSd: Readonly<Record<ScoreName, number>>;
  /** Share of prompts where the method's mean beats SFT's (ties 0.5), per score, with its CI. */
  readonly winRates: Readonly<Record<ScoreName, ConfidenceInterval>>;
  readonly kl: number;
  readonly klSource: 'estimate' | 'bound' | 'reference';
  readonly guards: QualityGuards;
  /** Why the method lost English against SFT, empty when it did not. */
  readonly flags: readonly string[];
  readonly leverUse: readonly LeverUse[];
  /** Share of the labeler gain that deleting the levers removes. */
  readonly leverShare: number;
  /** Labeler gain over the labeler-oracle best-of-N's gain at the same KL (interpolated); NaN without oracle. */
  readonly oracleShare: number;
  /** Mean per seed: the chosen setting's cost and the whole sweep's. */
  readonly cost: ComputeCost;
  readonly sweepCost: ComputeCost;
}

/** The experiment over all seeds. */
export interface ExperimentSummary {
  readonly seeds: readonly number[];
  readonly sftGuards: QualityGuards;
  /** Mean per-prompt scores of SFT on test prompts, per score. */
  readonly sftScores: Readonly<Record<ScoreName, ConfidenceInterval>>;
  readonly levers: readonly Lever[];
  readonly methods: readonly MethodSummary[];
  readonly labelerAccuracy: number;
}

/** A paired comparison of two methods on the same (seed, prompt) units. */
export interface PairedComparison {
  readonly better: string;
  readonly worse: string;
  readonly score: ScoreName;
  readonly difference: ConfidenceInterval;
  /** Whether the 95% CI of the difference excludes 0. */
  readonly distinguishable: boolean;
}

/**
 * Summarises the seeds: per method, the paired per-prompt gain over SFT on each score (the
 * units, (seed, prompt), resampled by a two-level bootstrap: seeds, then prompts within each), per-prompt win
 * rates, KL, quality guards (means over seeds) and their English-loss flags, lever use against
 * SFT, the share of the gain the levers carry, and the share of the labeler oracle's gain at
 * matched KL.
 */
export function summarizeExperiment(
  seeds: readonly SeedResult[],
  options: { readonly resamples: number; readonly seed: number; readonly levers: number },
): ExperimentSummary {
  const bootstrap = { resamples: options.resamples };
  const sftGuards = averageGuards(seeds.map((run) => run.sftTest.guards));
  const levers = pooledLevers(seeds, options.levers);
  const leverTexts = levers.map((lever) => lever.text);
  const sftCompletions = seeds.flatMap((run) => run.sftTest.samples.map((s) => s.completion));
  const names = seeds[0]?.methods.map((method) => method.name) ?? [];
  const methods = names.map((name, row): MethodSummary => {
    const results = seeds.map((run) => run.methods[row]!);
    const scoreRecord = <T>(make: (score: ScoreName, k: number) => T) =>
      Object.fromEntries(SCORE_NAMES.map((score, k) => [score, make(score, k)])) as Record<ScoreName, T>;
    // Per seed, per prompt: the method's mean minus SFT's, and whether it beat SFT.
    const differences = (score: ScoreName) =>
      seeds.map((run) => {
        const sft = run.sftTest.perPrompt[score];
        return run.methods[row]!.test.perPrompt[score].map((value, i) => value - sft[i]!);
      });
    const wins = (score: ScoreName) =>
      seeds.map((run) => perPromptWins(run.methods[row]!.test.perPrompt[score], run.sftTest.perPrompt[score]));
    const guards = averageGuards(results.map((r) => r.test.guards));
    const samples = results.flatMap((r) => r.test.samples);
    return {
      name,
      labelQueries: results[0]!.labelQueries,
      chosen: results.map((r) => r.chosen),
      gains: scoreRecord((score, k) =>
        bootstrapGroupedMeanCI(differences(score), { ...bootstrap, seed: mixSeeds(options.seed, row, k) }),
      ),
      seedSd: scoreRecord((score) =>
        standardDeviation(
          seeds.map((run) => mean(run.methods[row]!.test.perPrompt[score]) - mean(run.sftTest.perPrompt[score])),
        ),
      ),
      winRates: scoreRecord((score, k) =>
        bootstrapGroupedMeanCI(wins(score), { ...bootstrap, seed: mixSeeds(options.seed, row, k, 1) }),
      ),
      kl: mean(results.map((r) => r.test.kl)),
      klSource: results[0]!.test.klSource,
      guards,
      flags: englishLossFlags(guards, sftGuards),
      leverUse: leverUse(
        samples.map((s) => s.completion),
        sftCompletions,
        leverTexts,
      ),
      leverShare: mean(results.map((r) => r.leverShare)),
      oracleShare: NaN,
      cost: averageCost(results.map((r) => r.cost)),
      sweepCost: averageCost(results.map((r) => r.sweepCost)),
    };
  });
  const withShares = methods.map((method) => ({ ...method, oracleShare: oracleShare(method, methods) }));
  return {
    seeds: seeds.map((run) => run.seed),
    sftGuards,
    sftScores: Object.fromEntries(
      SCORE_NAMES.map((score, k) => [
        score,
        bootstrapGroupedMeanCI(
          seeds.map((run) => run.sftTest.perPrompt[score]),
          { ...bootstrap, seed: mixSeeds(options.seed, 99, k) },
        ),
      ]),
    ) as Record<ScoreName, ConfidenceInterval>,
    levers,
    methods: withShares,
    labelerAccuracy: mean(seeds.map((run) => run.labeler.heldOutAccuracy)),
  };
}

/** What {@link oracleShare} reads of a method row. */
export type OracleShareInput = Pick<MethodSummary, 'name' | 'kl'> & {
  readonly gains: Pick<MethodSummary['gains'], 'labeler'>;
};

/**
 * A method's labeler gain as a share of the labeler oracle's (best-of-N by the labeler) at the
 * same KL: the oracle's gains at KL log N - (N - 1)/N, with SFT at (0, 0), interpolated
 * linearly (held at the largest N beyond it). NaN without an oracle row, or for the oracle itself.
 */
export function oracleShare(method: OracleShareInput, methods: readonly OracleShareInput[]): number {
  if (method.name.includes('labeler oracle')) return NaN;
  const frontier = methods
    .filter((m) => m.name.includes('labeler oracle'))
    .map((m) => ({ kl: m.kl, gain: m.gains.labeler.estimate }))
    .sort((a, b) => a.kl - b.kl);
  if (frontier.length === 0) return NaN;
  const points = [{ kl: 0, gain: 0 }, ...frontier];
  const kl = Math.max(0, method.kl);
  let oracleGain = points.at(-1)!.gain;
  for (let i = 1; i < points.length; i++) {
    const [left, right] = [points[i - 1]!, points[i]!];
    if (kl <= right.kl) {
      oracleGain =
        right.kl === left.kl
          ? right.gain
          : left.gain + ((kl - left.kl) / (right.kl - left.kl)) * (right.gain - left.gain);
      break;
    }
  }
  return oracleGain > 0 ? method.gains.labeler.estimate / oracleGain : NaN;
}

/**
 * Paired differences between methods on the labeler and on each oracle: for each pair of rows
 * (a, b), the mean per-(seed, prompt) difference a - b with its 95% bootstrap CI, and whether the
 * CI excludes 0. The rows are ordered by the estimate so that `better` is the higher one.
 */
export function compareMethods(
  seeds: readonly SeedResult[],
  score: ScoreName,
  options: { readonly resamples: number; readonly seed: number },
): PairedComparison[] {
  const names = seeds[0]?.methods.map((method) => method.name) ?? [];
  const differences = (a: number, b: number) =>
    seeds.map((run) => {
      const other = run.methods[b]!.test.perPrompt[score];
      return run.methods[a]!.test.perPrompt[score].map((value, i) => value - other[i]!);
    });
  const comparisons: PairedComparison[] = [];
  for (let a = 0; a < names.length; a++)
    for (let b = a + 1; b < names.length; b++) {
      let difference = bootstrapGroupedMeanCI(differences(a, b), {
        resamples: options.resamples,
        seed: mixSeeds(options.seed, a, b),
      });
      let [better, worse] = [names[a]!, names[b]!];
      if (difference.estimate < 0) {
        [better, worse] = [worse, better];
        difference = { ...difference, estimate: -difference.estimate, low: -difference.high, high: -difference.low };
      }
      comparisons.push({ better, worse, score, difference, distinguishable: difference.low > 0 });
    }
  return comparisons;
}

/** Levers pooled over seeds: each text's mean effect over the seeds that found it, the top `count`. */
export function pooledLevers(seeds: readonly Pick<SeedResult, 'levers'>[], count: number): Lever[] {
  const byText = new Map<string, Lever[]>();
  for (const run of seeds)
    for (const lever of run.levers) byText.set(lever.text, [...(byText.get(lever.text) ?? []), lever]);
  return [...byText.entries()]
    .map(([text, found]) => ({
      text,
      meanDelta: mean(found.map((l) => l.meanDelta)),
      shareRaised: mean(found.map((l) => l.shareRaised)),
    }))
    .sort((x, y) => y.meanDelta - x.meanDelta)
    .slice(0, count);
}

/** Field-wise mean of quality guards. */
export function averageGuards(guards: readonly QualityGuards[]): QualityGuards {
  const field = (key: keyof QualityGuards) => mean(guards.map((g) => g[key]));
  return {
    nllPerToken: field('nllPerToken'),
    realWordRate: field('realWordRate'),
    distinct1: field('distinct1'),
    distinct2: field('distinct2'),
    meanLength: field('meanLength'),
    eosRate: field('eosRate'),
  };
}

function averageCost(costs: readonly ComputeCost[]): ComputeCost {
  const total = addCosts(...costs);
  const n = Math.max(1, costs.length);
  return {
    wallSeconds: total.wallSeconds / n,
    forwardSequences: total.forwardSequences / n,
    backwardSequences: total.backwardSequences / n,
    sampledCompletions: total.sampledCompletions / n,
    sampledTokens: total.sampledTokens / n,
  };
}
