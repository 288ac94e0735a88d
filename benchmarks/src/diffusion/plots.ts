import type { ReportPlot } from '../harness/benchmark.js';
import { winRateUncertainty, type MethodMeasurement, type MethodSummary } from './aggregate.js';
import type { MethodSpec } from './methods.js';
import type { ComparisonReward } from './rewards.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/**
 * Reward gain against change in digit accuracy, one point per (method, seed), the base at the
 * origin: up-right is better reward at no cost in digits; a point far right and down is reward
 * hacking.
 */
export function gainVersusAccuracyPlot(
  reward: ComparisonReward,
  methods: readonly MethodSpec[],
  measurements: readonly MethodMeasurement[],
): ReportPlot {
  const label = (id: string): string => methods.find((m) => m.id === id)?.label ?? id;
  const order = ['base', ...methods.map((m) => m.label)];
  const values = [
    { method: 'base', seed: 'all', gain: 0, accuracyChange: 0, winRate: 0.5 },
    ...measurements
      .filter((m) => m.reward === reward.id)
      .map((m) => ({
        method: label(m.method),
        seed: String(m.seed),
        gain: m.meanReward - m.baseMeanReward,
        accuracyChange: m.digitAccuracy - m.baseDigitAccuracy,
        winRate: m.winRate,
      })),
  ];
  return {
    title: `${reward.label}: reward gain vs change in digit accuracy (one point per method and seed)`,
    file: `gain-vs-accuracy-${reward.id}.svg`,
    spec: {
      $schema: SCHEMA,
      width: 460,
      height: 300,
      data: { values },
      layer: [
        { mark: { type: 'rule', color: '#999', strokeDash: [4, 4] }, encoding: { y: { datum: 0 } } },
        { mark: { type: 'rule', color: '#999', strokeDash: [4, 4] }, encoding: { x: { datum: 0 } } },
        {
          mark: { type: 'point', filled: true, size: 90, opacity: 0.85 },
          encoding: {
            x: { field: 'gain', type: 'quantitative', title: `mean reward gain vs base (${reward.unit})` },
            y: {
              field: 'accuracyChange',
              type: 'quantitative',
              title: 'Δ digit accuracy vs base',
              axis: { format: '+.0%' },
            },
            color: { field: 'method', type: 'nominal', sort: order, title: 'method', legend: { labelLimit: 240 } },
            shape: { field: 'method', type: 'nominal', sort: order },
            tooltip: [
              { field: 'method', type: 'nominal' },
              { field: 'seed', type: 'nominal' },
              { field: 'gain', type: 'quantitative', format: '.4f' },
              { field: 'accuracyChange', type: 'quantitative', format: '+.3f' },
              { field: 'winRate', type: 'quantitative', format: '.3f' },
            ],
          },
        },
      ],
    },
  };
}

/**
 * Win rate against the base per method: a bar for the mean, a rule for ± two standard errors
 * (over seeds, or over evaluation samples with one seed), a dot per seed, and the 1/2 line (no
 * better than the base).
 */
export function winRatePlot(
  reward: ComparisonReward,
  methods: readonly MethodSpec[],
  summaries: readonly MethodSummary[],
  measurements: readonly MethodMeasurement[],
): ReportPlot {
  const label = (id: string): string => methods.find((m) => m.id === id)?.label ?? id;
  const order = methods.map((m) => m.label);
  const means = summaries
    .filter((s) => s.reward === reward.id)
    .map((s) => {
      const u = winRateUncertainty(s);
      return {
        method: label(s.method),
        winRate: s.winRate.mean,
        low: Math.max(0, s.winRate.mean - 2 * u),
        high: Math.min(1, s.winRate.mean + 2 * u),
      };
    });
  const seeds = measurements
    .filter((m) => m.reward === reward.id)
    .map((m) => ({ method: label(m.method), seed: String(m.seed), winRate: m.winRate }));
  const x = { field: 'method', type: 'nominal', sort: order, title: null, axis: { labelAngle: -30, labelLimit: 240 } };
  return {
    title: `${reward.label}: win rate against the base (same noise), mean ± 2 se, dots = seeds`,
    file: `win-rate-${reward.id}.svg`,
    spec: {
      $schema: SCHEMA,
      width: 460,
      height: 260,
      layer: [
        {
          data: { values: means },
          mark: { type: 'bar', opacity: 0.6 },
          encoding: {
            x,
            y: { field: 'winRate', type: 'quantitative', title: 'win rate vs base', scale: { domain: [0, 1] } },
            color: { field: 'method', type: 'nominal', sort: order, legend: null },
          },
        },
        {
          data: { values: means },
          mark: { type: 'rule', strokeWidth: 2 },
          encoding: { x, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' } },
        },
        {
          data: { values: seeds },
          mark: { type: 'point', filled: true, color: 'black', size: 30 },
          encoding: {
            x,
            y: { field: 'winRate', type: 'quantitative' },
            tooltip: [{ field: 'method' }, { field: 'seed' }, { field: 'winRate', format: '.3f' }],
          },
        },
        {
          data: { values: [{ half: 0.5 }] },
          mark: { type: 'rule', color: 'red', strokeDash: [4, 4] },
          encoding: { y: { field: 'half', type: 'quantitative' } },
        },
      ],
    },
  };
}
