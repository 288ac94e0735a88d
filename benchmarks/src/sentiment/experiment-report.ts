import type { ReportPlot, ReportTable } from '../harness/benchmark.js';
import type { ConfidenceInterval } from './bootstrap.js';
import { type ComputeCost, estimateFlops, ZERO_COST } from './compute-cost.js';
import type { SeedResult } from './experiment-seed.js';
import type { ExperimentSummary, MethodSummary, PairedComparison } from './experiment-summary.js';
import type { ScoreName } from './measure-method.js';

const ci = (interval: ConfidenceInterval, digits = 3): string =>
  `${signed(interval.estimate, digits)} [${signed(interval.low, digits)}, ${signed(interval.high, digits)}]`;
const signed = (value: number, digits: number): string => (value >= 0 ? '+' : '') + value.toFixed(digits);
const share = (value: number): string => (Number.isFinite(value) ? `${(100 * value).toFixed(0)}%` : '–');

/** The main table: each method's gain over SFT on the labeler and both oracles, with CIs and win rates. */
export function gainsTable(summary: ExperimentSummary, selectionSeed: number): ReportTable {
  return {
    title: 'Gain over SFT on test prompts (mean per prompt, 95% two-level bootstrap CI: seeds, then prompts)',
    columns: [
      'method',
      `setting chosen on seed ${selectionSeed}`,
      'labels',
      'KL (nats)',
      'labeler (logit)',
      'VADER (compound)',
      'AFINN (per word)',
      'win rate VADER',
      'win rate AFINN',
      'share of oracle gain at same KL',
    ],
    rows: summary.methods.map((m) => [
      m.name,
      [...new Set(m.chosen)].join('; '),
      m.labelQueries === null ? 'oracle' : m.labelQueries,
      `${m.kl.toFixed(2)}${m.klSource === 'bound' ? ' (bound)' : ''}`,
      ci(m.gains.labeler),
      ci(m.gains.VADER),
      ci(m.gains.AFINN),
      ci(m.winRates.VADER, 2).replace(/\+/g, ''),
      ci(m.winRates.AFINN, 2).replace(/\+/g, ''),
      share(m.oracleShare),
    ]),
    note:
      `SFT's own test scores: labeler ${ci(summary.sftScores.labeler)}, VADER ${ci(summary.sftScores.VADER)}, ` +
      `AFINN ${ci(summary.sftScores.AFINN)}. Each setting was chosen on seed ${selectionSeed}'s validation prompts and ` +
      `run on fresh test seeds ${summary.seeds.join(', ')} (${summary.seeds.length}); each seed redraws the ` +
      'sentence split, prompts, SFT stage, labeler, pairs, training and sampling. Units are (seed, prompt); a gain is the mean ' +
      "of the method's per-prompt mean minus SFT's on the same prompt; the win rate counts prompts where the method's mean " +
      'beats SFT (ties 1/2). Labels: labeler queries spent (every budgeted method gets the same); best-of-N by the labeler is ' +
      'the oracle frontier and spends labels at evaluation. The labeler made every label; VADER and AFINN never label.',
  };
}

/** Quality guards per method against SFT, with the English-loss flags. */
export function qualityTable(summary: ExperimentSummary): ReportTable {
  const row = (name: string, g: MethodSummary['guards'], flags: readonly string[]) => [
    name,
    g.nllPerToken.toFixed(2),
    g.realWordRate.toFixed(3),
    g.distinct1.toFixed(3),
    g.distinct2.toFixed(3),
    g.meanLength.toFixed(1),
    g.eosRate.toFixed(2),
    flags.length === 0 ? '' : `loses English: ${flags.join('; ')}`,
  ];
  return {
    title: 'Quality guards on test samples',
    columns: [
      'method',
      'NLL/token under base',
      'real-word rate',
      'distinct-1',
      'distinct-2',
      'mean length (tokens)',
      'EOS rate',
      'flag',
    ],
    rows: [row('SFT', summary.sftGuards, []), ...summary.methods.map((m) => row(m.name, m.guards, m.flags))],
    note:
      'NLL under the committed pretrained base (not the SFT model), pooled per token; real-word rate and distinct-n over ' +
      "completion words (lm's realWordRate with an-array-of-english-words, distinctN). Flagged when the real-word rate " +
      'drops by more than 0.05, the base NLL rises by more than 0.5 nats/token, or distinct-2 drops by more than 0.1 against SFT.',
  };
}

/** The gaming check: the levers found on SFT samples, and each method's use of them against SFT's. */
export function gamingTable(summary: ExperimentSummary): ReportTable {
  const levers = summary.levers;
  return {
    title: 'Gaming check: single-token levers of the labeler, and their use per method vs SFT',
    columns: [
      'method',
      ...levers.map((l) => `${JSON.stringify(l.text)} per completion (x SFT)`),
      'share of labeler gain the levers carry',
    ],
    rows: [
      [
        'effect when appended to SFT samples',
        ...levers.map((l) => `${signed(l.meanDelta, 3)} logit, raises ${share(l.shareRaised)}`),
        '',
      ],
      ...summary.methods.map((m) => [
        m.name,
        ...m.leverUse.map(
          (use) => `${use.perCompletion.toFixed(2)} (x${Number.isFinite(use.ratio) ? use.ratio.toFixed(2) : '∞'})`,
        ),
        share(m.leverShare),
      ]),
    ],
    note:
      'Levers: every vocabulary token appended to SFT validation samples, ranked by the mean change of the labeler logit. ' +
      "Use: occurrences per completion (words as whole words) and the ratio to SFT's. Share: (gain - gain with the levers " +
      "deleted from the method's completions) / gain, per seed then averaged.",
  };
}

/** Wall time, passes and estimated FLOPs per method: the chosen setting and the whole sweep. */
export function costTable(
  summary: ExperimentSummary,
  seeds: readonly SeedResult[],
  parameters: number,
  tokensPerSequence: number,
): ReportTable {
  const shared = (name: string, pick: (run: SeedResult) => ComputeCost) => {
    const costs = seeds.map(pick);
    const average = (key: keyof ComputeCost) =>
      costs.reduce((sum, cost) => sum + cost[key], 0) / Math.max(1, costs.length);
    const cost: ComputeCost = {
      wallSeconds: average('wallSeconds'),
      forwardSequences: average('forwardSequences'),
      backwardSequences: average('backwardSequences'),
      sampledCompletions: average('sampledCompletions'),
      sampledTokens: average('sampledTokens'),
    };
    const flops = estimateFlops(cost, parameters, tokensPerSequence).toExponential(2);
    return [
      name,
      '',
      cost.wallSeconds.toFixed(0),
      '',
      Math.round(cost.forwardSequences),
      Math.round(cost.backwardSequences),
      Math.round(cost.sampledTokens),
      flops,
      '',
    ];
  };
  return {
    title: 'Compute per method and seed (chosen setting, mean over the test seeds; whole sweep, on the selection seed)',
    columns: [
      'method',
      'labels',
      'wall s',
      'sweep wall s',
      'forward rows',
      'backward rows',
      'sampled tokens',
      'FLOPs (est.)',
      'sweep FLOPs',
    ],
    rows: [
      shared('shared: SFT stage', (run) => run.sft.cost),
      shared('shared: labelled SFT samples (the budget)', (run) => run.pairs.cost),
      ...(seeds.some((run) => run.rewardModelCost !== null)
        ? [shared('shared: reward model', (run) => run.rewardModelCost ?? ZERO_COST)]
        : []),
      ...summary.methods.map((m) => [
        m.name,
        m.labelQueries === null ? 'oracle' : m.labelQueries,
        m.cost.wallSeconds.toFixed(0),
        m.sweepCost.wallSeconds.toFixed(0),
        Math.round(m.cost.forwardSequences),
        Math.round(m.cost.backwardSequences),
        Math.round(m.cost.sampledTokens),
        estimateFlops(m.cost, parameters, tokensPerSequence).toExponential(2),
        estimateFlops(m.sweepCost, parameters, tokensPerSequence).toExponential(2),
      ]),
    ],
    note:
      `FLOPs ~ parameters x (2 x forward tokens + 4 x backward tokens + 2 x sampled tokens), ${parameters.toLocaleString('en')} ` +
      `parameters, ${tokensPerSequence} tokens a row. Best-of-N samples N candidates per evaluation sample at evaluation time; ` +
      'that sampling is not in its row. The shared rows are paid once per seed (the reward model only when a method uses it).',
  };
}

/** Every sweep setting's validation result on the selection seed. */
export function sweepTable(run: SeedResult): ReportTable {
  return {
    title: `Sweep on seed ${run.seed}'s validation prompts (the chosen setting is the best labeler reward that keeps its English)`,
    columns: ['method', 'setting', 'labeler', 'KL', 'real-word rate', 'flag'],
    rows: run.methods.flatMap((m) =>
      m.validation.map((v) => [
        m.name,
        `${v.setting}${v.setting === m.chosen ? ' (chosen)' : ''}`,
        v.labeler.toFixed(3),
        v.kl.toFixed(2),
        v.realWordRate.toFixed(3),
        v.flags.join('; '),
      ]),
    ),
  };
}

/** Findings in words: the headline gains with CIs, distinguishable orderings, flags and levers. */
export function experimentFindings(
  summary: ExperimentSummary,
  comparisons: readonly PairedComparison[],
  context: {
    readonly mode: string;
    readonly baseDir: string;
    readonly wallSeconds: number;
    readonly cpuSeconds: number;
    readonly selectionSeed: number;
  },
): string[] {
  const findings: string[] = [];
  const gain = (m: MethodSummary, score: ScoreName) => ci(m.gains[score]);
  for (const m of summary.methods.filter((row) => row.name.startsWith('DPO'))) {
    const verdict = (score: ScoreName) =>
      m.gains[score].low > 0 ? 'above SFT' : m.gains[score].high < 0 ? 'below SFT' : 'not distinguishable from SFT';
    findings.push(
      `${m.name}: gain over SFT ${gain(m, 'labeler')} on the labeler (${verdict('labeler')}), ${gain(m, 'VADER')} on VADER ` +
        `(${verdict('VADER')}) and ${gain(m, 'AFINN')} on AFINN (${verdict('AFINN')}), at KL ${m.kl.toFixed(2)} nats (${summary.seeds.length} test seed(s), setting chosen on seed ${context.selectionSeed}, ${context.mode} mode).`,
    );
  }
  for (const score of ['labeler', 'VADER'] as const) {
    const distinct = comparisons.filter((c) => c.score === score && c.distinguishable);
    // Every distinguishable pair, and the pairs involving DPO that are not.
    const not = comparisons.filter(
      (c) => c.score === score && !c.distinguishable && (c.better.startsWith('DPO') || c.worse.startsWith('DPO')),
    );
    if (comparisons.some((c) => c.score === score))
      findings.push(
        `On ${score}: distinguishable (95% CI of the paired difference excludes 0): ${distinct.map((c) => `${c.better} > ${c.worse}`).join(', ') || 'none'}; ` +
          `not distinguishable (DPO's pairs): ${not.map((c) => `${c.better} vs ${c.worse}`).join(', ') || 'none'}.`,
      );
  }
  const flagged = summary.methods.filter((m) => m.flags.length > 0);
  findings.push(
    flagged.length === 0
      ? 'No method lost English against SFT by the quality guards.'
      : `Won reward by losing English (flagged): ${flagged.map((m) => `${m.name} (${m.flags.join('; ')})`).join(', ')}.`,
  );
  if (summary.levers.length > 0) {
    const top = summary.levers[0]!;
    findings.push(
      `Strongest single-token lever: appending ${JSON.stringify(top.text)} moves the labeler by ${signed(top.meanDelta, 3)} ` +
        `and raises ${share(top.shareRaised)} of SFT samples. Share of each method's labeler gain carried by the levers: ` +
        summary.methods.map((m) => `${m.name} ${share(m.leverShare)}`).join(', ') +
        '.',
    );
  }
  findings.push(
    `Labeler (bag-of-n-grams logistic regression, trained on each seed's training sentences and their neutral-suffix copies): held-out accuracy ` +
      `${summary.labelerAccuracy.toFixed(3)} on the seed's test sentences. Base: ${context.baseDir}. ` +
      `Cells: ${(context.wallSeconds / 60).toFixed(1)} min wall, ${(context.cpuSeconds / 60).toFixed(1)} min CPU, summed over cells (stored ones included, at the time they ran).`,
  );
  return findings;
}

/** Twenty well-separated colours (Tableau 20 reordered so that neighbours differ), one per method. */
const COLORS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
  '#aec7e8',
  '#ffbb78',
  '#98df8a',
  '#ff9896',
  '#c5b0d5',
  '#c49c94',
  '#f7b6d2',
  '#c7c7c7',
  '#dbdb8d',
  '#9edae5',
];

/**
 * Gain over SFT against KL, one point per method with its 95% CI, one distinct colour per method
 * and full legend labels (no truncation); SFT at the origin.
 */
export function gainPlot(summary: ExperimentSummary, score: ScoreName): ReportPlot {
  const points = [
    { method: 'SFT', kl: 0, gain: 0, low: 0, high: 0 },
    ...summary.methods.map((m) => ({
      method: m.name,
      kl: m.kl,
      gain: m.gains[score].estimate,
      low: m.gains[score].low,
      high: m.gains[score].high,
    })),
  ];
  const domain = points.map((p) => p.method);
  const color = {
    field: 'method',
    type: 'nominal',
    title: 'method',
    scale: { domain, range: COLORS.slice(0, domain.length) },
    legend: { labelLimit: 0, symbolLimit: 0 },
  };
  const x = { field: 'kl', type: 'quantitative', title: 'KL(method ‖ SFT), nats per completion' };
  return {
    title: `Gain over SFT on ${score} vs KL (test prompts, 95% CI)`,
    file: `gain-${score.toLowerCase()}.svg`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width: 520,
      height: 340,
      title: `Controlled sentiment: ${score} gain over SFT vs KL`,
      data: { values: points },
      layer: [
        {
          mark: { type: 'errorbar', ticks: true },
          encoding: {
            x,
            y: { field: 'low', type: 'quantitative', title: `${score} gain over SFT` },
            y2: { field: 'high' },
            color,
          },
        },
        {
          mark: { type: 'point', filled: true, size: 80 },
          encoding: { x, y: { field: 'gain', type: 'quantitative' }, color },
        },
      ],
    },
  };
}
