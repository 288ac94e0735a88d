import { InvalidArgumentError } from '@dpo-ts/core';
import type { BenchmarkMode } from '../harness/benchmark.js';
import type { BenchmarkCell } from '../harness/cells.js';

/** The two labelers: AI feedback (the EmojiCLIP's alignment score) and one person's taste (the style classifier). */
export const T2I_LABELERS = ['clip', 'style'] as const;
/** One of {@link T2I_LABELERS}. */
export type T2ILabeler = (typeof T2I_LABELERS)[number];

/**
 * What a cell trains: `base` (no training: the base measured once per seed), Diffusion-DPO on
 * the labels, on shuffled labels and on flipped labels (the controls), SFT on the winners and
 * on the losers (SFT's flipped-label control), DDPO on the labeler's reward and on its negation
 * (DDPO's flipped-label control: the RL analogue of reversed labels).
 */
export const T2I_METHODS = [
  'base',
  'dpo',
  'dpo-shuffled',
  'dpo-flipped',
  'sft-winners',
  'sft-losers',
  'ddpo',
  'ddpo-negated',
] as const;
/** One of {@link T2I_METHODS}. */
export type T2IMethod = (typeof T2I_METHODS)[number];

/** Sizes of one mode of the text-to-image comparison. */
export interface T2ISettings {
  /** Training captions sampled per seed; each gives one pair (two images), labelled by both labelers. */
  readonly pairs: number;
  /** Held-out captions the beta is chosen on (the labeler's own score, never an oracle). */
  readonly validationCaptions: number;
  /** Held-out captions every measure is taken on. */
  readonly testCaptions: number;
  /** Images per test caption (paired noise: image j of caption i starts from the same noise for every model). */
  readonly imagesPerCaption: number;
  /** The one sampler of the benchmark (pairs, DDPO rollouts, every evaluation): DDIM steps. */
  readonly samplingSteps: number;
  /** DDIM eta of that sampler, for every method and the base alike (> 0: DDPO needs log-probabilities). */
  readonly eta: number;
  /** Classifier-free guidance scale of that sampler. */
  readonly guidanceScale: number;
  /** Diffusion-DPO's beta sweep (the controls run at every beta too). */
  readonly betas: readonly number[];
  /** Optimiser steps of Diffusion-DPO and SFT (and DDPO: one update per sampled batch). */
  readonly trainSteps: number;
  /** Pairs (DPO), images (SFT) per step. */
  readonly batchSize: number;
  /** AdamW learning rate of every method. */
  readonly learningRate: number;
  /** DDPO images per update; updates = 2 x pairs / this (the same labeler queries as the pairs). */
  readonly ddpoSamplesPerStep: number;
  /** Share of the sampler's steps each DDPO update trains on, drawn at random (ddpo-pytorch's `timestep_fraction`). */
  readonly ddpoTimestepFraction: number;
  /** Candidates of the retrieval measure (the caption among candidates - 1 distractors). */
  readonly retrievalCandidates: number;
  /** Test captions shown in the sample grids. */
  readonly gridCaptions: number;
  /** Bootstrap resamples. */
  readonly resamples: number;
  /** Seeds used (the first n of the runner's). */
  readonly seeds: number;
}

/**
 * Per mode. Smoke: every code path at toy sizes (numbers meaningless). Quick: one seed, a
 * two-beta sweep (chosen on 8 validation captions, reported on 24 test captions), 48 pairs
 * labelled by each labeler, 12 steps of Diffusion-DPO and SFT, DDPO training on 2 of the 10
 * sampler steps per update (to stay within 5 minutes, with its negated-reward control, on the
 * width-96 base). Full: three seeds, a three-beta sweep, 256
 * pairs, 96 test captions x 2 images.
 */
export const T2I_SETTINGS: Readonly<Record<BenchmarkMode, T2ISettings>> = Object.freeze({
  smoke: {
    pairs: 8,
    validationCaptions: 4,
    testCaptions: 8,
    imagesPerCaption: 1,
    samplingSteps: 4,
    eta: 1,
    guidanceScale: 3,
    betas: [2500],
    trainSteps: 2,
    batchSize: 4,
    learningRate: 1e-4,
    ddpoSamplesPerStep: 8,
    ddpoTimestepFraction: 0.5,
    retrievalCandidates: 4,
    gridCaptions: 4,
    resamples: 200,
    seeds: 1,
  },
  quick: {
    pairs: 48,
    validationCaptions: 8,
    testCaptions: 24,
    imagesPerCaption: 1,
    samplingSteps: 10,
    eta: 1,
    guidanceScale: 3,
    betas: [1000, 5000],
    // 12 steps and 2 of 10 DDPO steps (were 16 and 3): the width-96 base costs ~1.7x per step.
    trainSteps: 12,
    batchSize: 8,
    learningRate: 1e-4,
    ddpoSamplesPerStep: 16,
    ddpoTimestepFraction: 0.2,
    retrievalCandidates: 10,
    gridCaptions: 8,
    resamples: 2000,
    seeds: 1,
  },
  full: {
    pairs: 256,
    validationCaptions: 32,
    testCaptions: 96,
    imagesPerCaption: 2,
    samplingSteps: 10,
    eta: 1,
    guidanceScale: 3,
    betas: [1000, 2500, 5000],
    trainSteps: 64,
    batchSize: 8,
    learningRate: 1e-4,
    ddpoSamplesPerStep: 32,
    ddpoTimestepFraction: 1,
    retrievalCandidates: 10,
    gridCaptions: 12,
    resamples: 4000,
    seeds: 3,
  },
});

/** One cell: a method (at a beta for the DPO runs) for one labeler and seed; `base` has neither labeler nor beta. */
export interface T2ICell {
  /** The base every method starts from (`textToImageBaseId`): part of the payload, so of the result store's key. */
  readonly base: string;
  readonly method: T2IMethod;
  readonly labeler: T2ILabeler | null;
  readonly beta: number | null;
  readonly seed: number;
  readonly settings: T2ISettings;
}

/** Whether a method is one of the Diffusion-DPO runs (real, shuffled or flipped labels). */
export const isDPOMethod = (method: T2IMethod): boolean => method.startsWith('dpo');

/**
 * Seconds per unit measured in a quick run on the shared 2-core machine (wasm, load ~14), for
 * the ETA only: one image of the sampler (DDIM 10 with guidance: 20 denoiser passes), one DPO or
 * SFT step of 8, and one DDPO sample (sampling, plus training through every step).
 */
const SECONDS = { image: 0.26, dpoStep: 1.2, sftStep: 0.55, ddpoSample: 0.3, ddpoTrainedSample: 1 } as const;

/** Estimated seconds of one cell. */
export function cellEstimateSeconds(cell: T2ICell): number {
  const s = cell.settings;
  const evaluation = (s.validationCaptions + s.testCaptions * s.imagesPerCaption) * SECONDS.image;
  const batchScale = s.batchSize / 8;
  switch (cell.method) {
    case 'base':
      return evaluation + 2 * s.pairs * SECONDS.image;
    case 'sft-winners':
    case 'sft-losers':
      return evaluation + s.trainSteps * SECONDS.sftStep * batchScale;
    case 'ddpo':
    case 'ddpo-negated':
      return evaluation + 2 * s.pairs * (SECONDS.ddpoSample + s.ddpoTimestepFraction * SECONDS.ddpoTrainedSample);
    default:
      return evaluation + s.trainSteps * SECONDS.dpoStep * batchScale;
  }
}

/** The cell's readable id: `style/dpo/beta=2500/seed=0`, `base/seed=0`. */
export function t2iCellId(cell: Omit<T2ICell, 'settings' | 'base'>): string {
  if (cell.method === 'base') return `base/seed=${cell.seed}`;
  return `${cell.labeler}/${cell.method}${cell.beta === null ? '' : `/beta=${cell.beta}`}/seed=${cell.seed}`;
}

/**
 * Every cell of a mode: per seed the base, then per labeler each DPO run at each beta, SFT on
 * winners and on losers, DDPO and negated-reward DDPO.
 * @param base - the base's id (`textToImageBaseId()`), recorded in every payload.
 */
export function planT2ICells(mode: BenchmarkMode, seeds: readonly number[], base: string): BenchmarkCell[] {
  const settings = T2I_SETTINGS[mode];
  const cells: T2ICell[] = [];
  for (const seed of seeds.slice(0, settings.seeds)) {
    cells.push({ base, method: 'base', labeler: null, beta: null, seed, settings });
    for (const labeler of T2I_LABELERS) {
      for (const beta of settings.betas)
        for (const method of ['dpo', 'dpo-shuffled', 'dpo-flipped'] as const)
          cells.push({ base, method, labeler, beta, seed, settings });
      for (const method of ['sft-winners', 'sft-losers', 'ddpo', 'ddpo-negated'] as const)
        cells.push({ base, method, labeler, beta: null, seed, settings });
    }
  }
  return cells.map((cell) => ({ id: t2iCellId(cell), payload: cell, estimateSeconds: cellEstimateSeconds(cell) }));
}

/**
 * Checks a cell payload (from the queue).
 * @throws InvalidArgumentError naming the bad field.
 */
export function validateT2ICell(payload: unknown): T2ICell {
  const cell = payload as Partial<T2ICell> | null;
  if (cell === null || typeof cell !== 'object') throw new InvalidArgumentError('cell', 'an object', payload);
  if (typeof cell.base !== 'string' || cell.base.length === 0)
    throw new InvalidArgumentError('cell.base', "the base's id (textToImageBaseId)", cell.base);
  if (!T2I_METHODS.includes(cell.method as T2IMethod))
    throw new InvalidArgumentError('cell.method', `one of ${T2I_METHODS.join(', ')}`, cell.method);
  const needsLabeler = cell.method !== 'base';
  if (needsLabeler ? !T2I_LABELERS.includes(cell.labeler as T2ILabeler) : cell.labeler !== null)
    throw new InvalidArgumentError(
      'cell.labeler',
      needsLabeler ? `one of ${T2I_LABELERS.join(', ')}` : 'null for the base',
      cell.labeler,
    );
  const needsBeta = isDPOMethod(cell.method as T2IMethod);
  if (needsBeta ? !(typeof cell.beta === 'number' && cell.beta > 0) : cell.beta !== null)
    throw new InvalidArgumentError('cell.beta', needsBeta ? 'a number > 0' : `null for ${cell.method}`, cell.beta);
  if (!Number.isInteger(cell.seed) || (cell.seed as number) < 0)
    throw new InvalidArgumentError('cell.seed', 'an integer >= 0', cell.seed);
  const settings = cell.settings as Partial<T2ISettings> | undefined;
  for (const field of [
    'pairs',
    'validationCaptions',
    'testCaptions',
    'imagesPerCaption',
    'samplingSteps',
    'trainSteps',
    'batchSize',
    'ddpoSamplesPerStep',
    'retrievalCandidates',
    'gridCaptions',
    'resamples',
    'seeds',
  ] as const)
    if (!(Number.isInteger(settings?.[field]) && (settings?.[field] as number) > 0))
      throw new InvalidArgumentError(`cell.settings.${field}`, 'an integer > 0', settings?.[field]);
  if (
    !(
      typeof settings?.ddpoTimestepFraction === 'number' &&
      settings.ddpoTimestepFraction > 0 &&
      settings.ddpoTimestepFraction <= 1
    )
  )
    throw new InvalidArgumentError(
      'cell.settings.ddpoTimestepFraction',
      'a number in (0, 1]',
      settings?.ddpoTimestepFraction,
    );
  for (const field of ['eta', 'learningRate'] as const)
    if (!(typeof settings?.[field] === 'number' && (settings[field] as number) > 0))
      throw new InvalidArgumentError(`cell.settings.${field}`, 'a number > 0', settings?.[field]);
  return cell as T2ICell;
}
