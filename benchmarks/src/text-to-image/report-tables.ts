import type { ReportTable } from '../harness/benchmark.js';
import { TEXT_TO_IMAGE_BASE_ENV } from './base-model.js';
import type { ConfidenceInterval } from '../sentiment/bootstrap.js';
import { excludes, MEASURE_LABELS, type T2IMeasure } from './caption-units.js';
import type { MethodRow, T2ISummary } from './collect.js';
import type { T2ICellResult } from './run-cell.js';
import type { T2ILabeler, T2IMethod, T2ISettings } from './settings.js';

/** Table and findings names of the methods. */
export const METHOD_LABELS: Readonly<Record<T2IMethod, string>> = {
  base: 'base',
  dpo: 'Diffusion-DPO',
  'dpo-shuffled': 'DPO, shuffled labels (control)',
  'dpo-flipped': 'DPO, flipped labels (control)',
  'sft-winners': 'SFT on winners',
  'sft-losers': 'SFT on losers (control)',
  ddpo: 'DDPO',
  'ddpo-negated': 'DDPO, negated reward (control)',
};

/** Names of the labelers. */
export const LABELER_LABELS: Readonly<Record<T2ILabeler, string>> = {
  clip: 'AI feedback (EmojiCLIP)',
  style: 'personal taste (style classifier)',
};

/** The measures each labeler aims at: what its labels should move on the held-out oracles. */
export const TARGET_MEASURES: Readonly<Record<T2ILabeler, readonly T2IMeasure[]>> = {
  clip: ['clipWinRate', 'retrieval'],
  style: ['styleWinRate', 'styleShare'],
};

const MAIN_MEASURES: readonly T2IMeasure[] = ['clipWinRate', 'styleWinRate', 'styleShare', 'retrieval'];

const signed = (value: number, digits = 3): string => (value >= 0 ? '+' : '') + value.toFixed(digits);
/** `+0.125 [+0.010, +0.240]`; win rates unsigned. */
export const formatCI = (interval: ConfidenceInterval, isRate = false): string =>
  isRate
    ? `${interval.estimate.toFixed(3)} [${interval.low.toFixed(3)}, ${interval.high.toFixed(3)}]`
    : `${signed(interval.estimate)} [${signed(interval.low)}, ${signed(interval.high)}]`;
const isRate = (measure: T2IMeasure): boolean => measure.endsWith('WinRate');
const meanOf = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
const spread = (values: readonly number[], digits = 2): string =>
  values.length === 1
    ? signed(values[0]!, digits)
    : `${signed(meanOf(values), digits)} (${signed(Math.min(...values), digits)} to ${signed(Math.max(...values), digits)})`;
const methodName = (row: Pick<MethodRow, 'method' | 'beta'>): string =>
  `${METHOD_LABELS[row.method]}${row.beta === null ? '' : ` β ${row.beta}`}`;

/** Every method against the base on held-out captions, per labeler. */
export function comparisonTable(summary: T2ISummary, settings: T2ISettings): ReportTable {
  return {
    title:
      'Against the base on held-out captions (paired noise; mean over seeds x captions, 95% two-level bootstrap CI)',
    columns: [
      'labeler',
      'method',
      ...MAIN_MEASURES.map((measure) => MEASURE_LABELS[measure]),
      'Δ KID x1000 (seeds)',
      'Δ FD (seeds)',
      'train s',
    ],
    rows: summary.rows.map((row) => [
      LABELER_LABELS[row.labeler],
      methodName(row),
      ...MAIN_MEASURES.map((measure) => formatCI(row.measures[measure], isRate(measure))),
      spread(row.kernelDistanceChange),
      spread(row.frechetDistanceChange, 1),
      meanOf(row.trainSeconds).toFixed(0),
    ]),
    note:
      `${settings.testCaptions} held-out captions x ${settings.imagesPerCaption} image(s), ${summary.seeds.length} seed(s); every image starts from the same noise as the base's (DDIM ${settings.samplingSteps} steps, eta ${settings.eta}, guidance ${settings.guidanceScale}, the sampler of the pairs, of DDPO's rollouts and of every evaluation). ` +
      'Win rate: share of images a held-out oracle scores above the base image from the same noise (ties 1/2; 0.5 = no change). Δ style share: change in the share the style oracle calls Twemoji. Δ retrieval: change in the share of images for which the clip oracle ranks the caption first among ' +
      `${settings.retrievalCandidates} candidates. KID: kernel distance (cubic polynomial kernel, unbiased) to the 382 real held-out emoji, x1000, minus the base's, in the feature space of the quality guard: the emoji autoencoder's scaled latent means (256 features), an encoder trained on real emoji only, by reconstruction, that no labeler or oracle shares (KID is unbiased at any sample size). FD: the Frechet distance of the same features (FID's formula), biased upwards when the samples are few next to the 256 feature dimensions, so read its changes, not its level.`,
  };
}

/** Diffusion-DPO net of its controls: the label-specific gain. */
export function netTable(summary: T2ISummary): ReportTable {
  return {
    title: 'Net of the label controls (per caption: method minus control on the same noise; 95% CI)',
    columns: ['labeler', 'method', 'control', ...MAIN_MEASURES.map((measure) => MEASURE_LABELS[measure])],
    rows: summary.net.map((row) => [
      LABELER_LABELS[row.labeler],
      methodName(row),
      METHOD_LABELS[row.control],
      ...MAIN_MEASURES.map((measure) => {
        const interval = row.measures[measure];
        return `${formatCI(interval)}${excludes(interval, 0) ? ' *' : ''}`;
      }),
    ]),
    note: 'Net of flipped = DPO - flipped: with a drift d common to any training on these pairs and a label effect p, DPO moves d + p and flipped d - p, so the difference is 2p, free of drift. Net of shuffled = DPO - shuffled ≈ p (shuffled labels keep the share of "image 0 wins" but no link to the images). SFT on winners minus SFT on losers is the 2p of SFT in the same sense, and DDPO minus DDPO on the negated reward (the RL analogue of flipped labels: the same captions, noise streams and budget, maximising -reward) that of DDPO. * = the CI excludes 0.',
  };
}

/** The beta sweep on validation captions (the labeler's own score; the oracles never choose). */
export function sweepTable(summary: T2ISummary): ReportTable {
  return {
    title:
      'β sweep on validation captions: mean labeler score minus the base (the labeler that labelled; chosen β marked)',
    columns: ['labeler', 'β', ...(['dpo', 'dpo-shuffled', 'dpo-flipped'] as const).map((m) => METHOD_LABELS[m])],
    rows: [...new Set(summary.sweep.map((p) => `${p.labeler}|${p.beta}`))].map((key) => {
      const [labeler, beta] = key.split('|') as [T2ILabeler, string];
      const gain = (method: T2IMethod) =>
        signed(
          summary.sweep.find((p) => p.labeler === labeler && p.beta === Number(beta) && p.method === method)!
            .validationGain,
        );
      return [
        LABELER_LABELS[labeler],
        `${beta}${summary.chosenBeta[labeler] === Number(beta) ? ' (chosen)' : ''}`,
        gain('dpo'),
        gain('dpo-shuffled'),
        gain('dpo-flipped'),
      ];
    }),
  };
}

/** The base and its pairs per seed. */
export function baseTable(summary: T2ISummary): ReportTable {
  return {
    title: 'The base and its pairs, per seed',
    columns: [
      'seed',
      'style share (style oracle)',
      'retrieval (clip oracle)',
      'KID x1000',
      'FD',
      'pairs',
      'ties: clip / style',
      'labelers agree',
      'pairs sampled in s',
    ],
    rows: summary.base.map(({ cell, result }) => {
      const { test } = result.evaluation;
      const pairs = result.pairs!;
      return [
        cell.seed,
        meanOf(test.styleOracle.map((v) => (v > 0 ? 1 : 0))).toFixed(3),
        meanOf(test.retrievalHit).toFixed(3),
        result.evaluation.kernelDistance.toFixed(2),
        result.evaluation.frechetDistance.toFixed(1),
        pairs.pairs,
        `${pairs.ties.clip} / ${pairs.ties.style}`,
        pairs.labelerAgreement.toFixed(2),
        pairs.sampleSeconds.toFixed(0),
      ];
    }),
  };
}

/** The first finding: which base the run used, at which step, from where, and its id. */
export function baseFinding(baseModel: NonNullable<T2ICellResult['baseModel']>): string {
  const step = `at step ${baseModel.step ?? 'unknown'}`;
  const id = baseModel.id === undefined ? '' : `; id ${baseModel.id}`;
  if (baseModel.overridden === true)
    return `Base: the ${baseModel.kind.replace('-', ' ')} read from ${TEXT_TO_IMAGE_BASE_ENV}=${baseModel.source} ${step}${id} (not the committed base).`;
  const what =
    baseModel.kind === 'run-checkpoint'
      ? "the unfinished base run's training checkpoint"
      : 'the finished saved base model';
  return `Base: ${what} ${step} (${baseModel.source.split('/').slice(-2).join('/')}${id}).`;
}

/**
 * The findings in words: per labeler, whether Diffusion-DPO moves its target oracle measures
 * net of the flipped-label control (CI excluding 0), what the shuffled control shows about
 * drift, SFT and DDPO against the base, and the quality guard.
 */
export function t2iFindings(summary: T2ISummary, settings: T2ISettings): string[] {
  const findings: string[] = [];
  const baseModel = summary.base[0]?.result.baseModel;
  if (baseModel !== undefined) findings.push(baseFinding(baseModel));
  if (summary.seeds.length < 3)
    findings.push(
      `${summary.seeds.length} seed(s) and ${settings.testCaptions} test captions: the CIs cover captions${summary.seeds.length > 1 ? ' and few seeds' : ' only, not the spread between trainings'}. ${settings.betas.length === 1 ? `β ${settings.betas[0]} is the only β (no sweep in this mode). ` : `β chosen among ${settings.betas.join(' and ')} on ${settings.validationCaptions} validation captions. `}Read this as a check of the protocol; the full mode has 3 seeds, 96 x 2 test images and a three-β sweep.`,
    );
  for (const labeler of Object.keys(summary.chosenBeta) as T2ILabeler[]) {
    const beta = summary.chosenBeta[labeler];
    const flipped = summary.net.find((n) => n.labeler === labeler && n.control === 'dpo-flipped')!;
    const shuffledRow = summary.rows.find((r) => r.labeler === labeler && r.method === 'dpo-shuffled')!;
    const dpoRow = summary.rows.find((r) => r.labeler === labeler && r.method === 'dpo')!;
    for (const measure of TARGET_MEASURES[labeler]) {
      const net = flipped.measures[measure];
      findings.push(
        `${LABELER_LABELS[labeler]}, Diffusion-DPO β ${beta}: ${MEASURE_LABELS[measure]} ${formatCI(dpoRow.measures[measure], isRate(measure))} against the base; net of the flipped-label control ${formatCI(net)}: ` +
          (excludes(net, 0)
            ? `distinguishable from 0 (${net.estimate > 0 ? 'the labels raise it on the held-out oracle: the preference transfers' : "the labels lower it on the held-out oracle: the labeler's preference does not transfer to it"}).`
            : 'not distinguishable from 0 (the label-specific effect is within noise at this size).'),
      );
      const drift = shuffledRow.measures[measure];
      const reference = isRate(measure) ? 0.5 : 0;
      findings.push(
        `${LABELER_LABELS[labeler]}, shuffled labels (drift) ${MEASURE_LABELS[measure]}: ${formatCI(drift, isRate(measure))}, ${excludes(drift, reference) ? `distinguishable from ${reference}: training on these pairs moves it without the labels` : `not distinguishable from ${reference}`}.`,
      );
    }
    const measure = TARGET_MEASURES[labeler][0]!;
    const sftNet = summary.net.find((n) => n.labeler === labeler && n.method === 'sft-winners')!.measures[measure];
    const sft = summary.rows.find((r) => r.labeler === labeler && r.method === 'sft-winners')!.measures[measure];
    findings.push(
      `${LABELER_LABELS[labeler]}, SFT on winners: ${MEASURE_LABELS[measure]} ${formatCI(sft, true)}; net of SFT on losers ${formatCI(sftNet)}, ${excludes(sftNet, 0) ? 'distinguishable from 0' : 'not distinguishable from 0'}.`,
    );
    const ddpo = summary.rows.find((r) => r.labeler === labeler && r.method === 'ddpo')!.measures[measure];
    const ddpoNet = summary.net.find((n) => n.labeler === labeler && n.method === 'ddpo')!.measures[measure];
    findings.push(
      `${LABELER_LABELS[labeler]}, DDPO: ${MEASURE_LABELS[measure]} ${formatCI(ddpo, true)}, ${excludes(ddpo, 0.5) ? 'distinguishable from 0.5' : 'not distinguishable from 0.5'}; net of DDPO on the negated reward ${formatCI(ddpoNet)}, ${excludes(ddpoNet, 0) ? 'distinguishable from 0' : 'not distinguishable from 0'}.`,
    );
  }
  const worst = summary.rows.reduce((a, b) =>
    meanOf(b.kernelDistanceChange) > meanOf(a.kernelDistanceChange) ? b : a,
  );
  findings.push(
    `Quality guard: the largest rise in KID x1000 against the base is ${spread(worst.kernelDistanceChange)} (${LABELER_LABELS[worst.labeler]}, ${methodName(worst)}); the base's own KID x1000 is ${spread(summary.base.map((b) => b.result.evaluation.kernelDistance))}.`,
  );
  return findings;
}
