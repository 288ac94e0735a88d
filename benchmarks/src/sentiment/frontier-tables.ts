import type { ReportTable } from '../harness/benchmark.js';
import type { BaseModelInfo } from './base-model.js';
import type { SentimentFrontierConfig } from './frontier-config.js';
import type { FrontierSummary } from './frontier-summary.js';
import type { SeedRun } from './run-seed.js';
import { mean } from './statistics.js';

/** `0.123 ± 0.045` (the ± part left out for a single seed). */
export function meanSpread(
  value: { readonly mean: number; readonly sd: number },
  seeds: number,
  digits: number,
): string {
  return seeds > 1 ? `${value.mean.toFixed(digits)} ± ${value.sd.toFixed(digits)}` : value.mean.toFixed(digits);
}

const KEY_METRICS: readonly [string, string][] = [
  ['eval/rewards/accuracies', 'held-out pair acc.'],
  ['objective/scores', 'last PPO score'],
  ['objective/kl', 'last PPO KL'],
  ['loss', 'last loss'],
];

/** The frontier: one row per method and setting, reward and KL over seeds. */
export function frontierTable(summaries: readonly FrontierSummary[], seeds: number): ReportTable {
  return {
    title: 'Reward vs KL per method and setting',
    columns: ['method', 'setting', 'GT reward', 'KL (nats)', 'KL from', 'finished', 'length', 'training'],
    rows: summaries.map((s) => [
      s.family,
      s.setting,
      meanSpread(s.reward, s.seeds, 3),
      meanSpread(s.kl, s.seeds, 2),
      s.klSource,
      s.finishedRate.toFixed(2),
      s.meanLength.toFixed(1),
      KEY_METRICS.filter(([key]) => s.details[key] !== undefined)
        .map(([key, label]) => `${label} ${s.details[key]!.toFixed(3)}`)
        .join(', '),
    ]),
    note:
      `GT reward: mean ground-truth classifier logit of prompt + completion, one temperature-1 sample per held-out prompt, ` +
      `${seeds > 1 ? `mean ± sd over ${seeds} seeds` : 'one seed'}. KL: mean over the policy's own samples of ` +
      `log pi(y|x) - log pi_SFT(y|x) (sequence level, EOS included); for best-of-N the bound log N - (N-1)/N. ` +
      `finished: share of samples that ended with EOS; length: tokens per completion.`,
  };
}

/** What each method spent, per seed. */
export function computeTable(summaries: readonly FrontierSummary[]): ReportTable {
  const count = (n: number): string => Math.round(n).toLocaleString('en');
  return {
    title: 'Compute per method and setting (mean per seed)',
    columns: ['method', 'setting', 'wall s', 'forward seqs', 'backward seqs', 'samples', 'sampled tokens', 'uses'],
    rows: summaries.map((s) => [
      s.family,
      s.setting,
      s.cost.wallSeconds.toFixed(1),
      count(s.cost.forwardSequences),
      count(s.cost.backwardSequences),
      count(s.cost.sampledCompletions),
      count(s.cost.sampledTokens),
      s.uses.join(', '),
    ]),
    note:
      'Own cost only: training, sampling and scoring of the method, not the evaluation. The shared inputs in "uses" are ' +
      'paid once per seed (see the shared-inputs table). Sequences are rows of at most the context length; a backward ' +
      'pass costs about two forward passes. Wall times are on a shared 2-core machine and only comparable within a run.',
  };
}

/** The base model, the classifier, the pairs and the reward model. */
export function sharedInputsTable(options: {
  readonly config: SentimentFrontierConfig;
  readonly base: BaseModelInfo & { readonly cached: boolean; readonly wallSeconds: number };
  readonly classifier: {
    readonly heldOutAccuracy: number;
    readonly trainAccuracy: number;
    readonly heldOutSentences: number;
    readonly wallSeconds: number;
  };
  readonly seeds: readonly SeedRun[];
}): ReportTable {
  const { base, classifier, seeds } = options;
  const average = (f: (seed: SeedRun) => number, digits: number): string => mean(seeds.map(f)).toFixed(digits);
  return {
    title: 'Shared inputs',
    columns: ['input', 'what', 'result', 'cost'],
    rows: [
      [
        'SFT base model',
        `char GPT ${base.parameters.toLocaleString('en')} params (d ${base.config.dModel}, ${base.config.nLayer} layers, context ${base.config.contextLength}); ${base.pretrain.steps} Brown pre-training + ${base.sft.steps} SFT steps x ${base.config.batchSize} rows`,
        `held-out review perplexity ${base.sft.heldOutPerplexityBefore.toFixed(2)} -> ${base.sft.heldOutPerplexityAfter.toFixed(2)}`,
        `${(base.pretrain.wallSeconds + base.sft.wallSeconds).toFixed(0)} s when trained${base.cached ? ' (loaded from cache this run)' : ''}`,
      ],
      [
        'ground-truth classifier',
        'logistic regression, hashed word 1-2-grams + char 3-5-grams, UCI training split',
        `held-out accuracy ${classifier.heldOutAccuracy.toFixed(3)} on ${classifier.heldOutSentences} sentences (train ${classifier.trainAccuracy.toFixed(3)})`,
        `${classifier.wallSeconds.toFixed(1)} s`,
      ],
      [
        'preference pairs (per seed)',
        `${options.config.data.samplesPerPrompt} SFT samples per prompt, best vs worst by ground truth`,
        `${average((s) => s.pairs.train, 0)} train / ${average((s) => s.pairs.heldOut, 0)} held-out pairs; mean gap ${average((s) => s.pairs.meanRewardGap, 2)}; ${average((s) => s.pairs.skippedPrompts, 0)} prompts tied`,
        `${average((s) => s.pairs.cost.wallSeconds, 0)} s, ${average((s) => s.pairs.cost.sampledTokens, 0)} sampled tokens`,
      ],
      [
        'reward model (per seed)',
        `SequenceRewardModel on the SFT backbone, ${options.config.rewardModel.steps} steps x ${options.config.rewardModel.batchSize} pairs`,
        `held-out pair accuracy ${average((s) => s.rewardModel.heldOutAccuracyBefore, 3)} -> ${average((s) => s.rewardModel.heldOutAccuracy, 3)}; correlation with GT on SFT samples ${average((s) => s.rewardModel.groundTruthCorrelation, 3)}`,
        `${average((s) => s.rewardModel.cost.wallSeconds, 0)} s`,
      ],
    ],
  };
}
