import { describe, expect, it } from 'vitest';
import {
  ALL_METHODS,
  labelBudget,
  SENTIMENT_EXPERIMENT_CONFIGS,
  type SentimentExperimentConfig,
} from './experiment-config.js';
import { experimentMethods, rowFamily, sweepGrid } from './method-registry.js';

const every = (config: SentimentExperimentConfig): SentimentExperimentConfig => ({
  ...config,
  methods: {
    ...config.methods,
    include: ALL_METHODS,
  },
});

describe('budget accounting', () => {
  for (const mode of ['smoke', 'quick', 'full'] as const) {
    it(`gives every budgeted method DPO's label count in ${mode} mode`, () => {
      const config = every(SENTIMENT_EXPERIMENT_CONFIGS[mode]);
      const budget = labelBudget(config);
      expect(budget).toBe(config.data.trainPrompts * config.data.samplesPerPrompt);
      const rows = experimentMethods(config);
      const dpo = rows.find((row) => row.name.startsWith('DPO beta'))!;
      expect(dpo.labelQueries).toBe(budget);
      for (const row of rows) {
        if (row.name.includes('labeler oracle')) expect(row.labelQueries).toBeNull();
        else expect({ name: row.name, labels: row.labelQueries }).toEqual({ name: row.name, labels: budget });
      }
      // PPO with the labeler: its rollouts (steps x batch), each labelled once, equal the budget.
      expect(Number.isInteger(budget / config.methods.ppoBatchSize)).toBe(true);
      // RLOO, GRPO, online DPO: every sampled completion is one query; whole steps, whole groups and pairs.
      const { onPolicyBatchSize, numGenerations } = config.methods;
      expect(Number.isInteger(budget / onPolicyBatchSize)).toBe(true);
      expect(onPolicyBatchSize % numGenerations).toBe(0);
      expect(onPolicyBatchSize % 2).toBe(0);
      expect(rows.filter((row) => ['RLOO', 'GRPO', 'Online DPO'].includes(row.name))).toHaveLength(3);
    });
  }

  it('gives every trained method the same learning-rate sweep', () => {
    const config = every(SENTIMENT_EXPERIMENT_CONFIGS.full);
    for (const row of experimentMethods(config)) {
      const rates = [...new Set(row.sweep.map((s) => s.learningRate))];
      if (row.name.startsWith('Best-of')) expect(rates).toEqual([null]);
      else expect(rates).toEqual(config.methods.learningRates);
    }
  });

  it('keeps only the included families', () => {
    const rows = experimentMethods(SENTIMENT_EXPERIMENT_CONFIGS.quick);
    expect(rows.map((row) => row.name)).toEqual(['DPO beta 0.1', 'Best-of-4 (labeler oracle)']);
    expect(rowFamily('Best-of-16 (reward model)')).toBe('Best-of-N (reward model)');
  });
});

describe('sweepGrid', () => {
  it('crosses learning rates with the knob', () => {
    expect(sweepGrid([1, 2], 'beta', [0.1, 0.5]).map((s) => s.label)).toEqual([
      'lr 1, beta 0.1',
      'lr 1, beta 0.5',
      'lr 2, beta 0.1',
      'lr 2, beta 0.5',
    ]);
    expect(sweepGrid([1], null, [])).toEqual([{ learningRate: 1, knob: null, label: 'lr 1' }]);
  });
});
