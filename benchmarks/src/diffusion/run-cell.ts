import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { ImageReward } from '@dpo-ts/diffusion';
import type { CellContext } from '../harness/cells.js';
import { encodeGridImages } from '../text-to-image/evaluate-model.js';
import type { MethodMeasurement } from './aggregate.js';
import type { DiffusionCell } from './cell-plan.js';
import { evaluateAgainstBase } from './evaluate.js';
import { computeCounts, type MethodSpec, type TrainedModel, type TrainingEnvironment } from './methods.js';
import { COMPARISON_REWARDS } from './rewards.js';
import { firstImages } from './sample-grids.js';
import { evaluationSeed } from './settings.js';
import { comparisonContext, seedPairs, type SeedPairs } from './shared-context.js';
import type { PairsRecord } from './tables.js';
import { trainDDPO } from './train-ddpo.js';
import { trainDiffusionDPO } from './train-dpo.js';
import { trainSFT } from './train-sft.js';

/** Samples per digit (columns / 10) in the all-methods grid. */
export const GRID_COLUMNS = 20;
/** Rows of 10 in each method's own grid. */
export const METHOD_GRID_ROWS = 4;

/** The digit classifier every cell of a run trains identically (same seed and epochs). */
export interface ClassifierSummary {
  readonly validationAccuracy: number;
  readonly trainAccuracy: number;
  readonly steps: number;
  readonly seconds: number;
  /** Held-out real digits it was trained on (80/20 split). */
  readonly heldOut: number;
}

/** One cell's JSON result. */
export interface DiffusionCellResult {
  /** The backend the cell ran on. */
  readonly backend: string;
  /** Trainable parameters of the base checkpoint. */
  readonly parameters: number;
  readonly classifier: ClassifierSummary;
  /** The pairs cell only. */
  readonly pairs?: PairsRecord;
  /** Method cells only. */
  readonly measurement?: MethodMeasurement;
  /**
   * Method cells of the first seed only: the first {@link GRID_COLUMNS} (all-methods grid) or
   * `METHOD_GRID_ROWS * 10` (whichever is more) samples of the method and of the base, `[n, 28, 28, 1]`
   * as bytes in base64 (`encodeGridImages`).
   */
  readonly grid?: { readonly images: string; readonly baseImages: string };
  /** Per-step training logs (JSON Lines) by file name, written by the reduce into `logs/`. */
  readonly logs: Readonly<Record<string, string>>;
  /** Tensors the cell's training and evaluation left behind (0 expected). */
  readonly tensorsLeaked: number;
  readonly seconds: number;
}

/**
 * Runs one cell. The pairs cell samples the (reward, seed)'s pairs and reports them; a method
 * cell trains a copy of the base (Diffusion-DPO and SFT on those pairs, sampled again when this
 * process has not made them yet: same seed, same pairs; DDPO on its own samples) and evaluates
 * it against the base on the run's fixed noise, then disposes it.
 */
export async function runDiffusionCell(cell: DiffusionCell, context: CellContext): Promise<DiffusionCellResult> {
  const started = performance.now();
  const { settings } = cell;
  const shared = await comparisonContext(cell.runSeed, settings.classifierEpochs);
  const reward = COMPARISON_REWARDS[cell.reward];
  const logPrefix = `[${reward.id} seed ${cell.seedIndex + 1}/${cell.seedCount}]`;
  const say = (line: string): void => context.log(`${logPrefix} ${line}`);
  const common = {
    backend: tf.getBackend(),
    parameters: shared.base.parameterCount(),
    classifier: {
      validationAccuracy: shared.classifier.validationAccuracy,
      trainAccuracy: shared.classifier.trainAccuracy,
      steps: shared.classifier.steps,
      seconds: shared.classifier.seconds,
      heldOut: shared.heldOutCount,
    },
  };
  const method = cell.method;
  const needsPairs = method === null || method.kind !== 'ddpo';
  const pairs = needsPairs
    ? await seedPairs(shared, cell.reward, cell.rewardIndex, cell.seed, settings, say)
    : undefined;
  if (method === null) {
    const p = pairs!.record;
    say(
      `pairs: ${p.kept} kept (${p.ties} ties), chosen ${p.meanChosenReward.toFixed(4)} vs rejected ${p.meanRejectedReward.toFixed(4)}, ${p.seconds.toFixed(1)} s`,
    );
    return { ...common, pairs: p, logs: {}, tensorsLeaked: 0, seconds: (performance.now() - started) / 1000 };
  }
  const logDir = await mkdtemp(path.join(os.tmpdir(), 'dpo-ts-diffusion-cell-'));
  try {
    const tensorsBefore = tf.memory().numTensors;
    const env: TrainingEnvironment = {
      base: shared.base,
      schedule: shared.schedule,
      settings,
      seed: cell.seed,
      log: context.log,
      logPrefix,
      logDir,
      signal: context.signal,
    };
    say(`${method.label}: training`);
    const trained = await train(method, env, pairs, reward.reward);
    let measurement: MethodMeasurement;
    let grid: DiffusionCellResult['grid'];
    try {
      const evaluation = await evaluateAgainstBase(shared.base, trained.model, {
        schedule: shared.schedule,
        reward: reward.reward,
        conditions: Array.from({ length: settings.evalSamples }, (_, i) => i % 10),
        seed: evaluationSeed(cell.runSeed >>> 0),
        numSteps: settings.samplingSteps,
        classifier: shared.classifier.classifier,
      });
      measurement = {
        reward: cell.reward,
        seed: cell.seed,
        method: method.id,
        meanReward: evaluation.meanReward,
        baseMeanReward: evaluation.baseMeanReward,
        winRate: evaluation.winRate,
        winRateStandardError: evaluation.winRateStandardError,
        digitAccuracy: evaluation.digitAccuracy,
        baseDigitAccuracy: evaluation.baseDigitAccuracy,
        compute: {
          ...computeCounts(method.kind, settings),
          trainSeconds: trained.trainSeconds,
          pairSeconds: method.kind === 'ddpo' ? 0 : pairs!.record.seconds,
        },
        details: trained.details,
      };
      if (cell.seedIndex === 0) {
        const count = Math.min(settings.evalSamples, Math.max(GRID_COLUMNS, METHOD_GRID_ROWS * 10));
        grid = {
          images: encodeGridImages(firstImages(evaluation.images, count)),
          baseImages: encodeGridImages(firstImages(evaluation.baseImages, count)),
        };
      }
      say(
        `${method.label}: reward ${evaluation.meanReward.toFixed(4)} (base ${evaluation.baseMeanReward.toFixed(4)}), win rate ${evaluation.winRate.toFixed(3)} ± ${evaluation.winRateStandardError.toFixed(3)}, ` +
          `digits ${evaluation.digitAccuracy.toFixed(3)} (base ${evaluation.baseDigitAccuracy.toFixed(3)}), trained in ${trained.trainSeconds.toFixed(1)} s`,
      );
    } finally {
      trained.model.dispose();
    }
    const tensorsLeaked = tf.memory().numTensors - tensorsBefore;
    const logs: Record<string, string> = {};
    for (const file of await readdir(logDir)) logs[file] = await readFile(path.join(logDir, file), 'utf8');
    return {
      ...common,
      measurement,
      ...(grid === undefined ? {} : { grid }),
      logs,
      tensorsLeaked,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await rm(logDir, { recursive: true, force: true });
  }
}

function train(
  method: MethodSpec,
  env: TrainingEnvironment,
  pairs: SeedPairs | undefined,
  reward: ImageReward,
): Promise<TrainedModel> {
  switch (method.kind) {
    case 'dpo':
      return trainDiffusionDPO(env, pairs!, method.beta!);
    case 'ddpo':
      return trainDDPO(env, reward);
    case 'sft-winners':
      return trainSFT(env, pairs!.train, 'chosen');
    case 'sft-losers':
      return trainSFT(env, pairs!.train, 'rejected');
  }
}
