import { addCosts, type ComputeCost } from './compute-cost.js';
import { METHOD_FAMILIES, type FrontierPoint, type MethodFamily, type SharedInput } from './frontier-point.js';
import { mean, standardDeviation } from './statistics.js';

/** A method at one setting, over seeds: mean and spread (sample standard deviation). */
export interface FrontierSummary {
  readonly family: MethodFamily;
  readonly setting: string;
  readonly parameter: number | null;
  readonly seeds: number;
  readonly reward: { readonly mean: number; readonly sd: number; readonly perSeed: readonly number[] };
  /** Mean over seeds of the reward's standard error over prompts (the within-seed sampling noise). */
  readonly rewardStandardError: number;
  readonly kl: { readonly mean: number; readonly sd: number; readonly perSeed: readonly number[] };
  readonly klSource: FrontierPoint['klSource'];
  readonly finishedRate: number;
  readonly meanLength: number;
  /** Mean cost per seed. */
  readonly cost: ComputeCost;
  readonly uses: readonly SharedInput[];
  /** Mean over seeds of each training metric. */
  readonly details: Readonly<Record<string, number>>;
}

/**
 * Groups points by (family, setting), in the order of {@link METHOD_FAMILIES} and then of the
 * setting's parameter, and summarises each group over its seeds.
 */
export function summarizeFrontier(points: readonly FrontierPoint[]): FrontierSummary[] {
  const groups = new Map<string, FrontierPoint[]>();
  for (const point of points) {
    const key = `${point.family}\u0000${point.setting}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [point]);
    else group.push(point);
  }
  const summaries = [...groups.values()].map((group): FrontierSummary => {
    const first = group[0]!;
    const rewards = group.map((p) => p.reward);
    const kls = group.map((p) => p.kl);
    const total = addCosts(...group.map((p) => p.cost));
    const detailKeys = [...new Set(group.flatMap((p) => Object.keys(p.details)))];
    return {
      family: first.family,
      setting: first.setting,
      parameter: first.parameter,
      seeds: group.length,
      reward: { mean: mean(rewards), sd: standardDeviation(rewards), perSeed: rewards },
      rewardStandardError: mean(group.map((p) => p.rewardStandardError)),
      kl: { mean: mean(kls), sd: standardDeviation(kls), perSeed: kls },
      klSource: first.klSource,
      finishedRate: mean(group.map((p) => p.finishedRate)),
      meanLength: mean(group.map((p) => p.meanLength)),
      cost: {
        wallSeconds: total.wallSeconds / group.length,
        forwardSequences: total.forwardSequences / group.length,
        backwardSequences: total.backwardSequences / group.length,
        sampledCompletions: total.sampledCompletions / group.length,
        sampledTokens: total.sampledTokens / group.length,
      },
      uses: first.uses,
      details: Object.fromEntries(
        detailKeys.map((key) => [
          key,
          mean(group.map((p) => p.details[key]).filter((v): v is number => v !== undefined)),
        ]),
      ),
    };
  });
  const familyOrder = (family: MethodFamily): number => METHOD_FAMILIES.indexOf(family);
  return summaries.sort(
    (a, b) => familyOrder(a.family) - familyOrder(b.family) || (a.parameter ?? 0) - (b.parameter ?? 0),
  );
}
