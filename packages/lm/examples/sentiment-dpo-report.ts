import type { Metrics } from '@dpo-ts/core';
import type { PolicyComparison } from '@dpo-ts/lm';
import type { ExampleOptions } from './sentiment-dpo-options.js';

/** Everything the example measured; written to results.json. */
export interface ExampleResults {
  readonly options: ExampleOptions;
  readonly backend: { readonly name: string; readonly overrides: readonly string[] };
  readonly model: { readonly parameters: number; readonly vocabSize: number };
  readonly pretrain: { readonly last: Metrics; readonly windows: number; readonly wallTimeSeconds: number };
  readonly sft: {
    readonly last: Metrics;
    readonly evalBefore: Metrics;
    readonly evalAfter: Metrics;
    readonly wallTimeSeconds: number;
  };
  readonly pairs: {
    readonly count: number;
    readonly skipped: number;
    readonly sampled: number;
    readonly train: number;
    readonly eval: number;
  };
  readonly dpo: {
    readonly evalBefore: Metrics;
    readonly evalAfter: Metrics;
    readonly last: Metrics;
    readonly wallTimeSeconds: number;
  };
  readonly comparison: PolicyComparison;
  readonly phases: Readonly<Record<string, number>>;
  readonly totalSeconds: number;
  readonly peakRssMiB: number;
}

const fixed = (x: number | undefined, digits = 3): string =>
  x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits);
const share = (values: readonly number[], predicate: (x: number) => boolean): number =>
  values.filter(predicate).length / Math.max(1, values.length);

/** The Markdown summary: setup, speeds, DPO metrics, before/after sample statistics, samples. */
export function writeSummary(results: ExampleResults): string {
  const { comparison: c, options: o } = results;
  const rows = (label: string, f: (side: PolicyComparison['policy']) => string): string =>
    `| ${label} | ${f(c.reference)} | ${f(c.policy)} |`;
  const samples = c.policy.samples.slice(0, 8).map((sample, i) => {
    const ref = c.reference.samples[i]!;
    return `| ${escapeCell(sample.prompt)} | ${escapeCell(ref.completion)} (${c.reference.rewards[i]}) | ${escapeCell(sample.completion)} (${c.policy.rewards[i]}) |`;
  });
  return [
    '# Sentiment DPO on a character GPT',
    '',
    `Backend ${results.backend.name} (overrides: ${results.backend.overrides.join(', ') || 'none'}); ${o.quick ? '--quick preset' : 'full preset'}; seed ${o.seed}.`,
    `Model: ${results.model.parameters.toLocaleString('en')} parameters (d ${o.dModel}, ${o.nLayer} layers, ${o.nHead} heads, context ${o.contextLength}, vocabulary ${results.model.vocabSize}).`,
    '',
    '## Phases',
    '',
    '| phase | steps | time | speed | final |',
    '|---|---|---|---|---|',
    `| pre-training (Brown, ${o.brownTexts} texts, ${results.pretrain.windows} windows) | ${o.pretrainSteps} | ${fixed(results.phases['pre-training on the Brown corpus'], 0)} s | ${fixed(results.pretrain.last.train_tokens_per_second, 0)} tokens/s | loss ${fixed(results.pretrain.last.loss)} |`,
    `| SFT (UCI reviews) | ${o.sftSteps} | ${fixed(results.phases['SFT on UCI review sentences'], 0)} s | ${fixed(results.sft.last.train_tokens_per_second, 0)} tokens/s | held-out perplexity ${fixed(results.sft.evalBefore.perplexity, 2)} -> ${fixed(results.sft.evalAfter.perplexity, 2)} |`,
    `| pair sampling (${o.samplesPerPrompt} per prompt) | | ${fixed(results.phases['sampling preference pairs'], 0)} s | | ${results.pairs.count} pairs from ${o.pairPrompts} prompts, ${results.pairs.skipped} ties skipped |`,
    `| DPO (beta ${o.beta}, lr ${o.dpoLearningRate}) | ${o.dpoSteps} | ${fixed(results.phases.DPO, 0)} s | ${fixed(results.dpo.last.train_samples_per_second, 1)} pairs/s | held-out rewards/accuracies ${fixed(results.dpo.evalAfter['rewards/accuracies'], 3)} |`,
    '',
    `Total ${fixed(results.totalSeconds, 0)} s; peak RSS ${fixed(results.peakRssMiB, 0)} MiB.`,
    '',
    '## DPO metrics on held-out pairs',
    '',
    '| metric | before | after |',
    '|---|---|---|',
    ...[
      'loss',
      'rewards/accuracies',
      'rewards/margins',
      'rewards/chosen',
      'rewards/rejected',
      'logps/chosen',
      'logps/rejected',
    ].map((key) => `| ${key} | ${fixed(results.dpo.evalBefore[key])} | ${fixed(results.dpo.evalAfter[key])} |`),
    '',
    `## Samples on ${c.policy.samples.length} held-out review openings (AFINN score of the continuation)`,
    '',
    '| | reference (SFT) | policy (DPO) |',
    '|---|---|---|',
    rows('mean AFINN score', (s) => fixed(s.meanReward)),
    rows('share positive (> 0)', (s) => fixed(share(s.rewards, (x) => x > 0))),
    rows('share negative (< 0)', (s) => fixed(share(s.rewards, (x) => x < 0))),
    rows('ended with EOS', (s) => fixed(s.finishedRate)),
    rows('mean length (tokens)', (s) => fixed(s.meanLength, 1)),
    '',
    `Policy win rate against the reference (same prompt and seed; ties count half): ${fixed(c.winRate)}.`,
    `KL(policy || reference) estimate: ${fixed(c.klEstimate)} nats per completion.`,
    '',
    '| opening | reference | policy |',
    '|---|---|---|',
    ...samples,
    '',
  ].join('\n');
}

function escapeCell(text: string): string {
  return JSON.stringify(text).slice(1, -1).replace(/\|/g, '\\|');
}
