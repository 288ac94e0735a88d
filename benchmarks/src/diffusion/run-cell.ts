import { samplePreferencePairs, subsetImagePreferences, type ImagePreferenceDataset } from '@dpo-ts/diffusion';
import type { ReportImage } from '../harness/benchmark.js';
import type { MethodMeasurement } from './aggregate.js';
import { evaluateAgainstBase, type EvaluationProtocol } from './evaluate.js';
import { computeCounts, type MethodSpec, type TrainedModel, type TrainingEnvironment } from './methods.js';
import type { ComparisonReward } from './rewards.js';
import { firstImages, writeMethodGrid, type GridRow } from './sample-grids.js';
import { pairSamplingSeed } from './settings.js';
import type { PairsRecord } from './tables.js';
import { trainDDPO } from './train-ddpo.js';
import { trainDiffusionDPO } from './train-dpo.js';
import { trainSFT } from './train-sft.js';
import { cellTaskKey, type WorkPlan } from './work-plan.js';

/** One (reward, seed) cell of the comparison. */
export interface CellInputs {
  readonly env: TrainingEnvironment;
  readonly reward: ComparisonReward;
  readonly rewardIndex: number;
  readonly methods: readonly MethodSpec[];
  readonly protocol: EvaluationProtocol;
  readonly plan: WorkPlan;
  /** Write a sample grid per method and return the grid rows (the first seed of each reward). */
  readonly grids: { readonly outDir: string; readonly columns: number } | undefined;
}

/** What a cell measured. */
export interface CellResult {
  readonly measurements: MethodMeasurement[];
  readonly pairs: PairsRecord;
  /** Base first, then each method (when `grids` was given). */
  readonly gridRows: GridRow[];
  readonly images: ReportImage[];
}

/** Fraction of each seed's pairs held out for Diffusion-DPO's implicit accuracy. */
export const EVAL_PAIR_FRACTION = 0.1;

/**
 * Runs one cell: samples the seed's pairs from the base, then trains and evaluates every method
 * from the base (each model disposed after its evaluation), logging a result line with the ETA
 * after each.
 */
export async function runCell(inputs: CellInputs): Promise<CellResult> {
  const { env, reward, plan } = inputs;
  const { settings } = env;
  const say = (line: string): void => env.log(`${env.logPrefix} ${line}`);
  say(`pairs: sampling ${settings.pairs} conditions x 2 images (DDIM ${settings.samplingSteps}) | ${plan.status()}`);
  const pairStart = performance.now();
  let lastLine = pairStart;
  const sampled = await samplePreferencePairs(env.base, env.schedule, {
    conditions: Array.from({ length: settings.pairs }, (_, i) => i % 10),
    reward: reward.reward,
    seed: pairSamplingSeed(env.seed, inputs.rewardIndex),
    numSteps: settings.samplingSteps,
    batchSize: 100,
    onProgress: (done, total) => {
      if (performance.now() - lastLine < 15_000 && done < total) return;
      lastLine = performance.now();
      say(`pairs ${done}/${total}`);
    },
  });
  const pairSeconds = (performance.now() - pairStart) / 1000;
  const evalCount = Math.max(1, Math.round(sampled.pairs.count * EVAL_PAIR_FRACTION));
  const indices = Array.from({ length: sampled.pairs.count }, (_, i) => i);
  const split: { train: ImagePreferenceDataset; eval: ImagePreferenceDataset } = {
    train: subsetImagePreferences(sampled.pairs, indices.slice(evalCount)),
    eval: subsetImagePreferences(sampled.pairs, indices.slice(0, evalCount)),
  };
  const mean = (values: Float32Array): number => values.reduce((a, b) => a + b, 0) / values.length;
  const pairs: PairsRecord = {
    reward: reward.id,
    seed: env.seed,
    kept: sampled.pairs.count,
    ties: sampled.skipped,
    train: split.train.count,
    eval: split.eval.count,
    meanChosenReward: mean(sampled.chosenRewards),
    meanRejectedReward: mean(sampled.rejectedRewards),
    baseMeanReward: sampled.meanReward,
    seconds: pairSeconds,
  };
  plan.finish(cellTaskKey(reward.id, env.seed, 'pairs'));
  say(
    `pairs: ${pairs.kept} kept (${pairs.ties} ties), chosen ${pairs.meanChosenReward.toFixed(4)} vs rejected ${pairs.meanRejectedReward.toFixed(4)}, ${pairSeconds.toFixed(1)} s | ${plan.status()}`,
  );

  const measurements: MethodMeasurement[] = [];
  const gridRows: GridRow[] = [];
  const images: ReportImage[] = [];
  for (const method of inputs.methods) {
    if (env.signal?.aborted) throw new Error('diffusion-comparison: aborted');
    say(`${method.label}: training`);
    const trained = await train(method, env, split, reward);
    try {
      const evaluation = await evaluateAgainstBase(env.base, trained.model, inputs.protocol);
      const counts = computeCounts(method.kind, settings);
      measurements.push({
        reward: reward.id,
        seed: env.seed,
        method: method.id,
        meanReward: evaluation.meanReward,
        baseMeanReward: evaluation.baseMeanReward,
        winRate: evaluation.winRate,
        winRateStandardError: evaluation.winRateStandardError,
        digitAccuracy: evaluation.digitAccuracy,
        baseDigitAccuracy: evaluation.baseDigitAccuracy,
        compute: {
          ...counts,
          trainSeconds: trained.trainSeconds,
          pairSeconds: method.kind === 'ddpo' ? 0 : pairSeconds,
        },
        details: trained.details,
      });
      if (inputs.grids !== undefined) {
        if (gridRows.length === 0)
          gridRows.push({ label: 'base', images: firstImages(evaluation.baseImages, inputs.grids.columns) });
        gridRows.push({ label: method.label, images: firstImages(evaluation.images, inputs.grids.columns) });
        images.push(
          await writeMethodGrid(
            inputs.grids.outDir,
            `samples-${reward.id}-${method.id}.png`,
            `${reward.label}, ${method.label} (seed ${env.seed}): 4 samples per digit, columns 0-9, same noise as the base's in samples-${reward.id}-all.png`,
            evaluation.images,
            Math.min(4, Math.floor(settings.evalSamples / 10)),
          ),
        );
      }
      plan.finish(cellTaskKey(reward.id, env.seed, method.id));
      say(
        `${method.label}: reward ${evaluation.meanReward.toFixed(4)} (base ${evaluation.baseMeanReward.toFixed(4)}), win rate ${evaluation.winRate.toFixed(3)} ± ${evaluation.winRateStandardError.toFixed(3)}, ` +
          `digits ${evaluation.digitAccuracy.toFixed(3)} (base ${evaluation.baseDigitAccuracy.toFixed(3)}), trained in ${trained.trainSeconds.toFixed(1)} s | ${plan.status()}`,
      );
    } finally {
      trained.model.dispose();
    }
  }
  return { measurements, pairs, gridRows, images };
}

function train(
  method: MethodSpec,
  env: TrainingEnvironment,
  split: { train: ImagePreferenceDataset; eval: ImagePreferenceDataset },
  reward: ComparisonReward,
): Promise<TrainedModel> {
  switch (method.kind) {
    case 'dpo':
      return trainDiffusionDPO(env, split, method.beta!);
    case 'ddpo':
      return trainDDPO(env, reward.reward);
    case 'sft-winners':
      return trainSFT(env, split.train, 'chosen');
    case 'sft-losers':
      return trainSFT(env, split.train, 'rejected');
  }
}
