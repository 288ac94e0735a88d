import type { Metrics } from '@dpo-ts/core';
import type { ExampleOptions } from './compressibility-options.js';

/** A trained model's samples against the reference's, from the same noise. */
export interface ModelComparison {
  readonly meanReward: number;
  readonly meanJpegKB: number;
  readonly referenceMeanReward: number;
  /** Fraction of paired samples where the model's reward is higher (ties 1/2). */
  readonly winRate: number;
  /** Fraction of samples the digit classifier reads as the digit asked for. */
  readonly digitAccuracy: number;
  readonly referenceDigitAccuracy: number;
}

/** What results.json keeps of a {@link ModelComparison}. */
export interface ModelSummary {
  readonly meanReward: number;
  readonly meanJpegKB: number;
  readonly winRate: number;
  readonly digitAccuracy: number;
}

/** Everything the example measured; written to results.json and rendered as README.md. */
export interface ExampleResults {
  readonly options: ExampleOptions;
  readonly backend: { readonly name: string; readonly overrides: readonly string[] };
  readonly model: { readonly parameters: number };
  readonly pairs: {
    readonly count: number;
    readonly skipped: number;
    readonly train: number;
    readonly eval: number;
    readonly baseMeanReward: number;
    readonly samplingImagesPerSecond: number;
    readonly samplingSteps: number;
  };
  readonly dpo: {
    readonly steps: number;
    readonly evalBefore: Metrics;
    readonly evalAfter: Metrics;
    readonly pairsPerSecond: number;
    readonly imagesPerSecond: number;
    readonly wallTimeSeconds: number;
  };
  readonly comparison: {
    readonly samples: number;
    readonly reference: { readonly meanReward: number; readonly meanJpegKB: number; readonly digitAccuracy: number };
    readonly diffusionDPO: ModelSummary;
    readonly sftWinners?: ModelSummary;
    readonly sftLosers?: ModelSummary;
  };
  readonly classifierValidationAccuracy: number;
  readonly phases: Record<string, number>;
  readonly totalSeconds: number;
}

const f = (x: number | undefined, digits = 3): string =>
  x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits);

/** The Markdown report of a run. */
export function renderReport(r: ExampleResults): string {
  const buckets = Object.keys(r.dpo.evalAfter).filter((k) => k.startsWith('rewards/accuracies/t'));
  const c = r.comparison;
  const row = (name: string, m: ModelSummary | undefined): string =>
    m === undefined
      ? ''
      : `| ${name} | ${f(m.meanReward, 4)} | ${f(m.meanJpegKB, 4)} | ${f(m.winRate)} | ${f(m.digitAccuracy)} |\n`;
  return `# Diffusion-DPO: MNIST MLP aligned to JPEG compressibility

Preset \`${r.options.preset}\`, backend ${r.backend.name}, seed ${r.options.seed}; ${r.model.parameters} weights.
Pairs: ${r.pairs.count} (${r.pairs.skipped} ties dropped; best vs worst of ${r.options.samplesPerCondition} per condition), ${r.pairs.train} train / ${r.pairs.eval} eval, DDIM ${r.pairs.samplingSteps} steps.
Diffusion-DPO: ${r.dpo.steps} steps, batch ${r.options.batchSize} pairs, beta ${r.options.beta}, lr ${r.options.learningRate}.

## Reward (higher = smaller JPEG), ${r.comparison.samples} samples per model, same noise as the reference

| model | mean reward (-kB) | mean JPEG kB (q95) | win rate vs reference | read as their digit |
|---|---|---|---|---|
| reference (base) | ${f(c.reference.meanReward, 4)} | ${f(c.reference.meanJpegKB, 4)} | - | ${f(c.reference.digitAccuracy)} |
| **Diffusion-DPO** | ${f(c.diffusionDPO.meanReward, 4)} | ${f(c.diffusionDPO.meanJpegKB, 4)} | **${f(c.diffusionDPO.winRate)}** | ${f(c.diffusionDPO.digitAccuracy)} |
${row('SFT on winners (same steps, lr, batch)', c.sftWinners)}${row('SFT on losers (control)', c.sftLosers)}
Win rate: fraction of noise seeds where the model's sample has the higher reward (ties 1/2).
Digit accuracy: a small MLP classifier (validation accuracy ${f(r.classifierValidationAccuracy)}) on the samples.

## Held-out pairs

| metric | before | after |
|---|---|---|
| loss | ${f(r.dpo.evalBefore.loss, 4)} | ${f(r.dpo.evalAfter.loss, 4)} |
| rewards/accuracies | ${f(r.dpo.evalBefore['rewards/accuracies'])} | ${f(r.dpo.evalAfter['rewards/accuracies'])} |
| rewards/margins | ${f(r.dpo.evalBefore['rewards/margins'])} | ${f(r.dpo.evalAfter['rewards/margins'])} |
${buckets.map((k) => `| ${k} | ${f(r.dpo.evalBefore[k])} | ${f(r.dpo.evalAfter[k])} |`).join('\n')}

(Before training the policy equals the reference: every margin is 0 and accuracy counts ties as wrong, so it starts at 0.)

## Speed

- Sampling (DDIM ${r.pairs.samplingSteps} steps, reward and PNG writing included): ${f(r.pairs.samplingImagesPerSecond, 1)} images/s
- Diffusion-DPO training: ${f(r.dpo.pairsPerSecond, 1)} pairs/s (${f(r.dpo.imagesPerSecond, 1)} images/s through policy and reference)
- Phases: ${Object.entries(r.phases)
    .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
    .join('; ')}; total ${r.totalSeconds.toFixed(1)} s

Files: \`pairs.jsonl\` + \`images/\`, \`pairs.png\` (top row chosen, bottom rejected), \`comparison.png\`
(rows alternate reference / aligned, same noise per column pair), \`checkpoint/\`, \`results.json\`.
`;
}
