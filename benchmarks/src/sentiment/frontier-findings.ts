import type { BenchmarkMode } from '../harness/benchmark.js';
import type { MethodFamily } from './frontier-point.js';
import type { FrontierSummary } from './frontier-summary.js';

/** Measured facts the findings refer to besides the frontier itself. */
export interface FindingsContext {
  readonly mode: BenchmarkMode;
  readonly seeds: number;
  readonly classifierAccuracy: number;
  readonly rewardModelAccuracy: number;
  readonly rewardModelCorrelation: number;
  readonly baseParameters: number;
}

/** Whether `a` is at least as good as `b` on both axes (reward up, KL down) and better on one. */
export function dominates(
  a: Pick<FrontierSummary, 'reward' | 'kl'>,
  b: Pick<FrontierSummary, 'reward' | 'kl'>,
): boolean {
  return (
    a.reward.mean >= b.reward.mean && a.kl.mean <= b.kl.mean && (a.reward.mean > b.reward.mean || a.kl.mean < b.kl.mean)
  );
}

/** The uncertainty of a point's mean reward: the spread across seeds, or within one seed the standard error over prompts. */
function rewardUncertainty(s: FrontierSummary): number {
  return s.seeds > 1 ? s.reward.sd : s.rewardStandardError;
}

const label = (s: FrontierSummary): string =>
  `${s.family} ${s.setting} (reward ${s.reward.mean.toFixed(3)}, KL ${s.kl.mean.toFixed(2)})`;

/**
 * Findings in words, computed from the numbers: the reference, whether DPO's points dominate
 * PPO's (and which PPO points they do not), how much of the best-of-N oracle the reward model
 * recovers, the offline baselines, and the caveats of the scale. Nothing here is asserted in
 * advance: each sentence states what this run measured.
 */
export function frontierFindings(summaries: readonly FrontierSummary[], context: FindingsContext): string[] {
  const of = (family: MethodFamily): FrontierSummary[] => summaries.filter((s) => s.family === family);
  const best = (group: readonly FrontierSummary[]): FrontierSummary | undefined =>
    [...group].sort((a, b) => b.reward.mean - a.reward.mean)[0];
  const reference = of('SFT (reference)')[0];
  const findings: string[] = [];
  const spread = context.seeds > 1 ? `sd across ${context.seeds} seeds` : 'standard error over prompts (one seed)';
  if (reference !== undefined) {
    findings.push(
      `The SFT model's samples score ${reference.reward.mean.toFixed(3)} (mean classifier logit; ${spread} ${rewardUncertainty(reference).toFixed(3)}). ` +
        `The ground-truth classifier reaches ${(100 * context.classifierAccuracy).toFixed(1)}% accuracy on held-out UCI sentences; ` +
        `the learned reward model ranks ${(100 * context.rewardModelAccuracy).toFixed(1)}% of held-out pairs correctly and its scores correlate ` +
        `${context.rewardModelCorrelation.toFixed(2)} with the ground truth on SFT samples.`,
    );
  }

  const dpo = of('DPO');
  const ppo = [...of('PPO (ground-truth reward)'), ...of('PPO (reward model)')];
  if (dpo.length > 0 && ppo.length > 0) {
    const undominatedPPO = ppo.filter((p) => !dpo.some((d) => dominates(d, p)));
    const undominatedDPO = dpo.filter((d) => !ppo.some((p) => dominates(p, d)));
    if (undominatedPPO.length === 0) {
      findings.push(
        `DPO's frontier dominates PPO's here: every PPO point has a DPO point with at least its reward at no more KL. Best DPO: ${label(best(dpo)!)}; best PPO: ${label(best(ppo)!)}.`,
      );
    } else {
      findings.push(
        `DPO's frontier does not dominate PPO's in this run: no DPO point reaches ${undominatedPPO.map(label).join('; ')} at equal or lower KL. ` +
          `${undominatedDPO.length} of ${dpo.length} DPO points are themselves undominated by PPO. Best DPO: ${label(best(dpo)!)}.`,
      );
    }
    const gap = best(dpo)!.reward.mean - best(ppo)!.reward.mean;
    const noise = Math.max(rewardUncertainty(best(dpo)!), rewardUncertainty(best(ppo)!));
    findings.push(
      `The best DPO and best PPO rewards differ by ${gap.toFixed(3)}, ${Math.abs(gap) > 2 * noise ? 'more' : 'less'} than twice the larger ${spread} (${noise.toFixed(3)}), ` +
        `so the ordering of the two ${Math.abs(gap) > 2 * noise ? 'is' : 'is not'} distinguishable from noise at this size.`,
    );
    const gt = best(of('PPO (ground-truth reward)'));
    const rm = best(of('PPO (reward model)'));
    if (gt !== undefined && rm !== undefined) {
      const lost = gt.reward.mean - rm.reward.mean;
      findings.push(
        `PPO with the true reward reaches ${gt.reward.mean.toFixed(3)} at KL ${gt.kl.mean.toFixed(2)}; with the learned reward model ${rm.reward.mean.toFixed(3)} at KL ${rm.kl.mean.toFixed(2)}` +
          (lost > 0
            ? `: ${lost.toFixed(3)} less true reward, what optimising a proxy with ${(100 * context.rewardModelAccuracy).toFixed(0)}% held-out pair accuracy costs here.`
            : `: the learned reward did no worse than the true one in this run (a short PPO run moves little either way).`),
      );
    }
  }

  const bonRM = of('Best-of-N (reward model)');
  const bonOracle = of('Best-of-N (ground-truth oracle)');
  if (reference !== undefined && bonRM.length > 0 && bonOracle.length > 0) {
    const largest = bonRM[bonRM.length - 1]!;
    const oracle = bonOracle.find((s) => s.setting === largest.setting)!;
    const recovered = (largest.reward.mean - reference.reward.mean) / (oracle.reward.mean - reference.reward.mean);
    findings.push(
      `Best-of-${largest.parameter} by the reward model gains ${(largest.reward.mean - reference.reward.mean).toFixed(3)} over the SFT samples at KL ≤ ${largest.kl.mean.toFixed(2)}; ` +
        `picking by the ground truth itself gains ${(oracle.reward.mean - reference.reward.mean).toFixed(3)}, so the reward model recovers ${(100 * recovered).toFixed(0)}% of what selection alone can buy.`,
    );
  }

  for (const family of ['Preferred-FT', 'Unlikelihood'] as const) {
    const group = of(family);
    if (group.length === 0 || reference === undefined) continue;
    const top = best(group)!;
    findings.push(
      `${family}: best ${top.setting} reaches reward ${top.reward.mean.toFixed(3)} (${top.reward.mean - reference.reward.mean >= 0 ? '+' : ''}${(top.reward.mean - reference.reward.mean).toFixed(3)} vs SFT) at KL ${top.kl.mean.toFixed(2)}.`,
    );
  }

  findings.push(
    `Scale: a ${context.baseParameters.toLocaleString('en')}-parameter character model trained for minutes on 2 CPU cores, a bag-of-n-grams classifier as the ground truth, ` +
      `${context.seeds} seed${context.seeds > 1 ? 's' : ''}, one learning rate per method and no tuning sweep (PPO especially: TRL's defaults scaled down, a few dozen updates). ` +
      `The paper's frontier used GPT-2-large on IMDb with a RoBERTa classifier; these numbers test the pipeline and the direction of effects, not the paper's magnitudes.` +
      (context.mode !== 'full'
        ? ` Mode ${context.mode}: sizes are reduced; see the full run for the published frontier.`
        : ''),
  );
  return findings;
}
