import { formatMetric } from '@dpo-ts/core/training';
import type { ReportTable } from '../harness/benchmark.js';
import { winRateUncertainty, type MethodMeasurement, type MethodSummary, type Spread } from './aggregate.js';
import type { MethodSpec } from './methods.js';
import type { ComparisonReward } from './rewards.js';

/** `0.780 ± 0.013` (± omitted when the spread is over one value and no uncertainty is given). */
export function formatSpread(value: Spread, digits: number, plusMinus?: number): string {
  const u = plusMinus ?? (value.n > 1 ? value.sd : undefined);
  return u === undefined ? value.mean.toFixed(digits) : `${value.mean.toFixed(digits)} ± ${u.toFixed(digits)}`;
}

const count = (n: number): string =>
  n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(0)}k` : String(n);

/**
 * The main table of one reward: a row for the base and one per method, means over seeds with
 * their spread, and the compute each method spent.
 */
export function summaryTable(
  reward: ComparisonReward,
  methods: readonly MethodSpec[],
  summaries: readonly MethodSummary[],
  evalSamples: number,
): ReportTable {
  const first = summaries[0];
  const seeds = first?.winRate.n ?? 0;
  const rows: (string | number | null)[][] = [];
  if (first !== undefined)
    rows.push([
      'base (committed MNIST MLP)',
      first.baseMeanReward.toFixed(4),
      '-',
      '-',
      first.baseDigitAccuracy.toFixed(3),
      '-',
      '-',
      '-',
      '-',
      '-',
      '-',
    ]);
  for (const method of methods) {
    const s = summaries.find((summary) => summary.method === method.id);
    if (s === undefined) continue;
    const c = s.compute;
    rows.push([
      method.label,
      formatSpread(s.meanReward, 4),
      formatSpread(s.rewardGain, 4),
      formatSpread(s.winRate, 3, winRateUncertainty(s)),
      formatSpread(s.digitAccuracy, 3),
      formatSpread(s.accuracyChange, 3),
      formatSpread(s.trainSeconds, 0),
      (s.trainSeconds.mean + c.pairSeconds).toFixed(0),
      count(c.imagesSampled),
      `${c.optimizerSteps} × ${c.batchSize}`,
      `${count(c.forwardPasses)} / ${count(c.backwardPasses)}`,
    ]);
  }
  return {
    title: `${reward.label}: every method against the base, same noise`,
    columns: [
      'method',
      `mean reward (${reward.unit})`,
      'gain vs base',
      'win rate vs base',
      'digit accuracy',
      'Δ accuracy',
      'train s',
      'wall s incl. pairs',
      'images sampled',
      'steps × batch',
      'denoiser passes fwd / bwd',
    ],
    rows,
    note:
      `${evalSamples} samples per model (deterministic DDIM, digits i % 10), from the same initial noise as the base's; ` +
      `${seeds} training seed${seeds === 1 ? '' : 's'}, ${seeds > 1 ? 'values are means ± sd over seeds' : 'one value per cell'}. Win rate: fraction of noise seeds where the model's sample has the higher reward (ties 1/2), ` +
      `± its standard error (${seeds > 1 ? 'over seeds' : 'over evaluation samples, training noise not included'}). Digit accuracy: the digit classifier reads the sample as the digit it was sampled for. ` +
      'Images sampled: pair images (2 per condition; shared by Diffusion-DPO and both SFT runs of a seed, sampled once) or DDPO trajectories. ' +
      "Train s excludes the shared pair sampling (see the pairs table) and includes DDPO's own sampling; wall s adds the pair sampling (first seed's) to the methods that need pairs, the compute a user of that one method would spend. Denoiser passes count one image through the network once, sampling included.",
  };
}

/** Every (reward, seed, method) measurement, for the spread the summary hides. */
export function perSeedTable(methods: readonly MethodSpec[], measurements: readonly MethodMeasurement[]): ReportTable {
  const label = (id: string): string => methods.find((m) => m.id === id)?.label ?? id;
  return {
    title: 'Per seed',
    columns: ['reward', 'seed', 'method', 'mean reward', 'win rate ± se', 'digit accuracy', 'train s', 'details'],
    rows: measurements.map((m) => [
      m.reward,
      m.seed,
      label(m.method),
      m.meanReward.toFixed(4),
      `${m.winRate.toFixed(3)} ± ${m.winRateStandardError.toFixed(3)}`,
      m.digitAccuracy.toFixed(3),
      m.compute.trainSeconds.toFixed(1),
      Object.entries(m.details)
        .map(([k, v]) => `${k} ${formatMetric(v)}`)
        .join(', '),
    ]),
    note: 'Details: Diffusion-DPO held-out implicit accuracy and loss before/after and denoising errors after (policy above reference on both sides = likelihood displacement); SFT mean loss over the last fifth of steps; DDPO mean sampled (eta 1) reward over the first and last fifth of steps and mean approx KL.',
  };
}

/** What {@link pairsTable} shows of one seed's pairs. */
export interface PairsRecord {
  readonly reward: string;
  readonly seed: number;
  readonly kept: number;
  readonly ties: number;
  readonly train: number;
  readonly eval: number;
  readonly meanChosenReward: number;
  readonly meanRejectedReward: number;
  readonly baseMeanReward: number;
  readonly seconds: number;
}

/** The preference pairs of each (reward, seed): how many, how far apart, how long they took. */
export function pairsTable(records: readonly PairsRecord[]): ReportTable {
  return {
    title: 'Preference pairs (sampled from the base, labelled by the reward)',
    columns: [
      'reward',
      'seed',
      'pairs kept',
      'ties dropped',
      'train / eval',
      'mean chosen',
      'mean rejected',
      'mean of all samples',
      'seconds',
    ],
    rows: records.map((r) => [
      r.reward,
      r.seed,
      r.kept,
      r.ties,
      `${r.train} / ${r.eval}`,
      r.meanChosenReward.toFixed(4),
      r.meanRejectedReward.toFixed(4),
      r.baseMeanReward.toFixed(4),
      r.seconds.toFixed(1),
    ]),
    note: "Two DDIM samples (eta 0, independent noise) per condition; the higher reward is chosen. 10% of the pairs are held out for Diffusion-DPO's implicit accuracy; SFT trains on the same training pairs.",
  };
}
