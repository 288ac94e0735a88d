import { describe, expect, it } from 'vitest';
import { summarizeMethods, type MethodMeasurement } from './aggregate.js';
import { methodSpecs } from './methods.js';
import { gainVersusAccuracyPlot, winRatePlot } from './plots.js';
import type { ComparisonReward } from './rewards.js';

const reward: ComparisonReward = {
  id: 'jpeg-compressibility',
  label: 'JPEG compressibility',
  reward: () => 0,
  unit: '-kB',
};
const methods = methodSpecs({ betas: [5000] });
const compute = {
  trainSeconds: 1,
  pairSeconds: 1,
  imagesSampled: 1,
  optimizerSteps: 1,
  batchSize: 1,
  forwardPasses: 1,
  backwardPasses: 1,
};
const measurements: MethodMeasurement[] = [0, 1].map((seed) => ({
  reward: 'jpeg-compressibility',
  seed,
  method: 'dpo-b5000',
  meanReward: -1.19,
  baseMeanReward: -1.2,
  winRate: 0.7 + 0.1 * seed,
  winRateStandardError: 0.02,
  digitAccuracy: 0.8,
  baseDigitAccuracy: 0.85,
  compute,
  details: {},
}));

describe('plots', () => {
  it('gain vs accuracy: the base at the origin and a point per method and seed, labelled', () => {
    const plot = gainVersusAccuracyPlot(reward, methods, measurements);
    expect(plot.file).toBe('gain-vs-accuracy-jpeg-compressibility.svg');
    const values = (plot.spec.data as { values: Record<string, unknown>[] }).values;
    expect(values[0]).toMatchObject({ method: 'base', gain: 0, accuracyChange: 0 });
    expect(values).toHaveLength(3);
    expect(values[1]).toMatchObject({ method: 'Diffusion-DPO β=5000', seed: '0' });
    expect(values[1]!.gain).toBeCloseTo(0.01, 12);
    expect(values[1]!.accuracyChange).toBeCloseTo(-0.05, 12);
    expect(plot.spec.$schema).toContain('vega-lite/v6');
  });

  it('win rate: mean with ± 2 se clipped to [0, 1], seeds as dots, and the 1/2 line', () => {
    const plot = winRatePlot(reward, methods, summarizeMethods(measurements), measurements);
    const layers = plot.spec.layer as { data: { values: Record<string, number | string>[] } }[];
    const mean = layers[0]!.data.values[0]!;
    expect(mean.winRate).toBeCloseTo(0.75, 12);
    // sd over seeds 0.0707, se 0.05: 0.75 ± 0.1
    expect(mean.low).toBeCloseTo(0.65, 12);
    expect(mean.high).toBeCloseTo(0.85, 12);
    expect(layers[2]!.data.values).toHaveLength(2);
    expect(layers[3]!.data.values).toEqual([{ half: 0.5 }]);
  });
});
