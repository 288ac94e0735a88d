import { winRateUncertainty, type MethodSummary } from './aggregate.js';
import type { MethodSpec } from './methods.js';

/** What the findings of one reward are written from. */
export interface FindingsInput {
  readonly rewardLabel: string;
  readonly rewardUnit: string;
  readonly methods: readonly MethodSpec[];
  /** This reward's summaries, one per method. */
  readonly summaries: readonly MethodSummary[];
  /** Validation accuracy of the digit classifier on real held-out digits. */
  readonly classifierAccuracy: number;
  readonly evalSamples: number;
}

/** How a method's win rate against the base reads: more than two standard errors from 1/2 either way, or not. */
export type Verdict = 'beats the base' | 'is worse than the base' | 'is not clearly different from the base';

/** {@link Verdict} of a summary (see {@link winRateUncertainty}). */
export function verdict(summary: Pick<MethodSummary, 'winRate' | 'winRateStandardError'>): Verdict {
  const u = winRateUncertainty(summary);
  if (summary.winRate.mean - 2 * u > 0.5) return 'beats the base';
  if (summary.winRate.mean + 2 * u < 0.5) return 'is worse than the base';
  return 'is not clearly different from the base';
}

/** A drop in digit accuracy larger than this (absolute) is reported as a quality loss. */
export const ACCURACY_DROP_THRESHOLD = 0.05;

const signed = (x: number, digits = 4): string => `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** `win rate 0.780 ± 0.013, reward +0.0091 -kB, digits 83.3% (base 86.5%)`. */
export function describe(summary: MethodSummary, unit: string): string {
  return `win rate ${summary.winRate.mean.toFixed(3)} ± ${winRateUncertainty(summary).toFixed(3)}, reward ${signed(summary.rewardGain.mean)} ${unit}, digits ${pct(summary.digitAccuracy.mean)} (base ${pct(summary.baseDigitAccuracy)})`;
}

/**
 * The findings of one reward in words, from the numbers only: whether Diffusion-DPO (each
 * beta), DDPO and SFT on winners beat the base on paired samples, how much of SFT's gain the
 * SFT-on-losers control also gets (self-distillation rather than preference), which methods
 * lose digit accuracy (reward hacking), and the compute behind each.
 */
export function comparisonFindings(input: FindingsInput): string[] {
  const { summaries, rewardUnit: unit } = input;
  const byId = new Map(summaries.map((s) => [s.method, s]));
  const label = (id: string): string => input.methods.find((m) => m.id === id)?.label ?? id;
  const findings: string[] = [];
  const dpo = input.methods
    .filter((m) => m.kind === 'dpo')
    .map((m) => byId.get(m.id))
    .filter((s): s is MethodSummary => s !== undefined);
  const best = [...dpo].sort((a, b) => b.rewardGain.mean - a.rewardGain.mean)[0];
  if (best !== undefined) {
    const each = dpo.map((s) => `${label(s.method)}: ${describe(s, unit)}`).join('; ');
    const winners = dpo.filter((s) => verdict(s) === 'beats the base').map((s) => label(s.method));
    const lead =
      winners.length === dpo.length
        ? 'Diffusion-DPO beats the base at every beta tried'
        : winners.length > 0
          ? `Diffusion-DPO beats the base at ${winners.join(', ')} only`
          : 'Diffusion-DPO does not clearly beat the base at any beta tried';
    findings.push(
      `${input.rewardLabel}: ${lead} (win rate over ${input.evalSamples} paired samples more than two standard errors above 1/2). ${each}. Largest reward gain: ${label(best.method)}.`,
    );
  }
  const ddpo = byId.get('ddpo');
  if (ddpo !== undefined) {
    let sentence = `DDPO ${verdict(ddpo)}: ${describe(ddpo, unit)}, from ${ddpo.compute.imagesSampled} sampled trajectories and ${ddpo.compute.optimizerSteps} updates of ${ddpo.compute.batchSize} in ${ddpo.trainSeconds.mean.toFixed(0)} s`;
    if (best !== undefined) {
      const ratio = best.rewardGain.mean !== 0 ? ddpo.rewardGain.mean / best.rewardGain.mean : Number.NaN;
      sentence += `; the Diffusion-DPO runs used ${best.compute.imagesSampled} pair images and ${best.trainSeconds.mean.toFixed(0)} s of training each (plus the shared pair sampling). DDPO's reward gain is ${Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : 'not comparable to'} ${label(best.method)}'s`;
    }
    findings.push(`${sentence}.`);
  }
  const winners = byId.get('sft-winners');
  const losers = byId.get('sft-losers');
  if (winners !== undefined && losers !== undefined) {
    const preference = winners.rewardGain.mean - losers.rewardGain.mean;
    let sentence = `SFT on winners ${verdict(winners)} (${describe(winners, unit)}); SFT on losers, the control, ${verdict(losers)} (${describe(losers, unit)}). The preference-specific part of SFT's gain (winners minus losers) is ${signed(preference)} ${unit}`;
    if (best !== undefined) sentence += `, against ${signed(best.rewardGain.mean)} for ${label(best.method)}`;
    const [w, l] = [winners.rewardGain.mean, losers.rewardGain.mean];
    if (w <= 0) {
      sentence += '. SFT on winners does not raise the reward at this budget';
    } else if (l > 0 && l >= 0.5 * w) {
      sentence += `. Most of SFT's gain does not come from the preference: fine-tuning on the model's own samples moves the reward whichever side of the pairs it sees (self-distillation), so "SFT on winners beats the base" is not evidence for the preference signal`;
    } else if (l > 0) {
      sentence += `. The control gets ${((100 * l) / w).toFixed(0)}% of SFT on winners' gain (self-distillation); the rest comes from the preference`;
    } else {
      sentence += '. The control does not raise the reward, so SFT on winners gains through the preference';
    }
    findings.push(`${sentence}.`);
  }
  const dropped = summaries.filter((s) => s.accuracyChange.mean < -ACCURACY_DROP_THRESHOLD);
  const guard = `digit classifier, ${pct(input.classifierAccuracy)} accurate on held-out real digits`;
  const points = (x: number): string => `${signed(100 * x, 1)} points`;
  const worst = [...summaries].sort((a, b) => a.accuracyChange.mean - b.accuracyChange.mean)[0];
  if (dropped.length > 0) {
    findings.push(
      `Quality guard (${guard}): ${dropped.map((s) => `${label(s.method)} (${points(s.accuracyChange.mean)}, reward ${signed(s.rewardGain.mean)} ${unit})`).join(', ')} lost more than ${points(ACCURACY_DROP_THRESHOLD).slice(1)} of digit accuracy: part of that reward gain is reward hacking (samples that stop looking like their digit).`,
    );
  } else if (worst !== undefined) {
    findings.push(
      `Quality guard (${guard}): no method lost more than ${points(ACCURACY_DROP_THRESHOLD).slice(1)} of digit accuracy against the base's samples (largest change: ${label(worst.method)}, ${points(worst.accuracyChange.mean)}), so the reward gains are not bought by samples that stop looking like their digit.`,
    );
  }
  const seeds = summaries[0]?.winRate.n ?? 0;
  if (seeds <= 1)
    findings.push(
      `One training seed: the ± are the evaluation-sample standard errors of the win rate and leave training noise out; run \`full\` for the spread over seeds.`,
    );
  return findings;
}
