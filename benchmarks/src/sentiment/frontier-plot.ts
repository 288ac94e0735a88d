import type { ReportPlot } from '../harness/benchmark.js';
import type { FrontierPoint } from './frontier-point.js';
import type { FrontierSummary } from './frontier-summary.js';

/**
 * The reward-vs-KL frontier (the DPO paper's Fig. 2, left) as a Vega-Lite v6 spec with inline
 * data: x = KL(policy || SFT) in nats per completion, y = mean ground-truth reward on held-out
 * prompts, colour = method family; a line per family through its settings (sorted by KL), the
 * mean over seeds as a filled point, ± one standard deviation across seeds as error bars in
 * both directions (none with a single seed), and each seed's own point, faint.
 */
export function frontierPlot(
  summaries: readonly FrontierSummary[],
  points: readonly FrontierPoint[],
  file = 'frontier.svg',
): ReportPlot {
  const means = summaries.map((s) => ({
    method: s.family,
    setting: s.setting,
    kl: s.kl.mean,
    klLow: s.kl.mean - s.kl.sd,
    klHigh: s.kl.mean + s.kl.sd,
    reward: s.reward.mean,
    rewardLow: s.reward.mean - s.reward.sd,
    rewardHigh: s.reward.mean + s.reward.sd,
    seeds: s.seeds,
    klSource: s.klSource,
  }));
  const perSeed = points.map((p) => ({
    method: p.family,
    setting: p.setting,
    seed: p.seed,
    kl: p.kl,
    reward: p.reward,
  }));
  const color = {
    field: 'method',
    type: 'nominal',
    title: 'method',
    sort: [...new Set(summaries.map((s) => s.family))],
  };
  const x = { field: 'kl', type: 'quantitative', title: 'KL(policy ‖ SFT), nats per completion' };
  const y = {
    field: 'reward',
    type: 'quantitative',
    title: 'mean ground-truth reward (classifier logit)',
    scale: { zero: false },
  };
  return {
    title: 'Reward vs KL frontier (held-out prompts)',
    file,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width: 560,
      height: 380,
      title: 'Controlled sentiment: ground-truth reward vs KL from the SFT model',
      layer: [
        { data: { values: perSeed }, mark: { type: 'point', opacity: 0.35, size: 20 }, encoding: { x, y, color } },
        {
          data: { values: means },
          mark: { type: 'line', strokeWidth: 1.5 },
          encoding: { x, y, color, order: { field: 'kl', type: 'quantitative' } },
        },
        {
          data: { values: means },
          mark: { type: 'rule' },
          encoding: { x, y: { field: 'rewardLow', type: 'quantitative' }, y2: { field: 'rewardHigh' }, color },
        },
        {
          data: { values: means },
          mark: { type: 'rule' },
          encoding: { y, x: { field: 'klLow', type: 'quantitative' }, x2: { field: 'klHigh' }, color },
        },
        {
          data: { values: means },
          mark: { type: 'point', filled: true, size: 70 },
          encoding: {
            x,
            y,
            color,
            shape: { field: 'klSource', type: 'nominal', title: 'KL' },
            tooltip: [
              { field: 'method' },
              { field: 'setting' },
              { field: 'kl', format: '.2f' },
              { field: 'reward', format: '.3f' },
              { field: 'seeds' },
            ],
          },
        },
      ],
    },
  };
}
