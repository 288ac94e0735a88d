import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { formatDuration } from '@dpo-ts/core';
import { MNIST_MLP_CHECKPOINT, NoiseSchedule, loadDenoiser, loadMnist, trainDigitClassifier } from '@dpo-ts/diffusion';
import type { BenchmarkContext, BenchmarkResult, ReportImage } from '../harness/benchmark.js';
import { summarizeMethods, type MethodMeasurement } from './aggregate.js';
import { comparisonFailures } from './checks.js';
import { comparisonFindings } from './findings.js';
import { methodSpecs } from './methods.js';
import { gainVersusAccuracyPlot, winRatePlot } from './plots.js';
import { COMPARISON_REWARDS } from './rewards.js';
import { runCell } from './run-cell.js';
import { writeComparisonGrid } from './sample-grids.js';
import { DIFFUSION_COMPARISON_SETTINGS, comparisonSeeds, evaluationSeed } from './settings.js';
import { pairsTable, perSeedTable, summaryTable, type PairsRecord } from './tables.js';
import { WorkPlan, estimatedSeconds, planComparison } from './work-plan.js';

/** Samples per digit (columns / 10) in the all-methods grid. */
const GRID_COLUMNS = 20;

/**
 * The diffusion comparison: from the committed MNIST MLP checkpoint, per reward and training
 * seed, on-policy pairs labelled by the reward, then Diffusion-DPO at each beta, DDPO, SFT on
 * winners and SFT on losers, each evaluated against the base on the same fixed noise (reward,
 * paired win rate, digit-classifier accuracy) with its compute. See `index.ts` for the modes.
 */
export async function runDiffusionComparison(context: BenchmarkContext): Promise<BenchmarkResult> {
  const started = performance.now();
  const settings = DIFFUSION_COMPARISON_SETTINGS[context.mode];
  const seeds = comparisonSeeds(context, settings.seeds);
  const methods = methodSpecs(settings);
  const tasks = planComparison(settings, seeds, methods);
  const plan = new WorkPlan(tasks);
  context.log(
    `mode ${context.mode}: rewards ${settings.rewards.join(', ')}; seeds ${seeds.join(', ')}; methods ${methods.map((m) => m.label).join(', ')}; ` +
      `${settings.pairs} pairs, ${settings.trainSteps} steps x ${settings.batchSize}, DDPO ${settings.ddpoSteps} x ${settings.ddpoSamplesPerStep}; estimated ${formatDuration(estimatedSeconds(tasks))} on 2 cores`,
  );
  const logDir = path.join(context.outDir, 'logs');
  await mkdir(logDir, { recursive: true });
  const tensorsBefore = tf.memory().numTensors;
  const schedule = new NoiseSchedule();
  const base = await loadDenoiser(MNIST_MLP_CHECKPOINT);
  const parameters = base.parameterCount();
  const { heldOut } = await loadMnist();
  context.log(`classifier: training on ${heldOut.count} held-out real digits for ${settings.classifierEpochs} epochs`);
  const classifier = trainDigitClassifier(heldOut, { epochs: settings.classifierEpochs, seed: context.seed >>> 0 });
  plan.finish('classifier');
  context.log(
    `classifier: validation accuracy ${classifier.validationAccuracy.toFixed(3)} (${classifier.steps} steps, ${classifier.seconds.toFixed(1)} s) | ${plan.status()}`,
  );

  const measurements: MethodMeasurement[] = [];
  const pairs: PairsRecord[] = [];
  const images: ReportImage[] = [];
  try {
    for (const [rewardIndex, rewardId] of settings.rewards.entries()) {
      const reward = COMPARISON_REWARDS[rewardId];
      const protocol = {
        schedule,
        reward: reward.reward,
        conditions: Array.from({ length: settings.evalSamples }, (_, i) => i % 10),
        seed: evaluationSeed(context.seed >>> 0),
        numSteps: settings.samplingSteps,
        classifier: classifier.classifier,
      };
      for (const [seedIndex, seed] of seeds.entries()) {
        const cell = await runCell({
          env: {
            base,
            schedule,
            settings,
            seed,
            log: context.log,
            logPrefix: `[${reward.id} seed ${seedIndex + 1}/${seeds.length}]`,
            logDir,
            signal: context.signal,
          },
          reward,
          rewardIndex,
          methods,
          protocol,
          plan,
          grids:
            seedIndex === 0
              ? { outDir: context.outDir, columns: Math.min(GRID_COLUMNS, settings.evalSamples) }
              : undefined,
        });
        measurements.push(...cell.measurements);
        pairs.push(cell.pairs);
        if (cell.gridRows.length > 0) {
          const title = `${reward.label}, seed ${seed}: ${GRID_COLUMNS / 10} samples per digit (columns 0-9, twice), each column from the same initial noise`;
          images.unshift(
            await writeComparisonGrid(
              context.outDir,
              `samples-${reward.id}-all.png`,
              title,
              cell.gridRows,
              Math.min(GRID_COLUMNS, settings.evalSamples),
            ),
          );
        }
        images.push(...cell.images);
      }
    }
  } finally {
    classifier.classifier.dispose();
    base.dispose();
  }

  const failures = comparisonFailures(measurements, tensorsBefore, tf.memory().numTensors);
  for (const failure of failures) context.log(`check failed: ${failure}`);
  const summaries = summarizeMethods(measurements);
  const rewards = settings.rewards.map((id) => COMPARISON_REWARDS[id]);
  const findings = rewards.flatMap((reward) =>
    comparisonFindings({
      rewardLabel: reward.label,
      rewardUnit: reward.unit,
      methods,
      summaries: summaries.filter((s) => s.reward === reward.id),
      classifierAccuracy: classifier.validationAccuracy,
      evalSamples: settings.evalSamples,
    }),
  );
  const totalSeconds = (performance.now() - started) / 1000;
  findings.push(
    `Wall time ${formatDuration(totalSeconds)} on backend ${tf.getBackend()} (${context.mode} mode); pair sampling ${pairs.reduce((a, p) => a + p.seconds, 0).toFixed(0)} s in all.`,
  );
  context.log(`done in ${formatDuration(totalSeconds)}`);
  return {
    data: {
      mode: context.mode,
      backend: tf.getBackend(),
      settings,
      seeds,
      evaluationSeed: evaluationSeed(context.seed >>> 0),
      base: { checkpoint: 'packages/diffusion/checkpoints/mnist-mlp', parameters },
      classifier: {
        validationAccuracy: classifier.validationAccuracy,
        trainAccuracy: classifier.trainAccuracy,
        epochs: settings.classifierEpochs,
        steps: classifier.steps,
        seconds: classifier.seconds,
        trainedOn: `${heldOut.count} held-out MNIST digits (80/20 split)`,
      },
      methods,
      pairs,
      measurements,
      summaries,
      totalSeconds,
    },
    tables: [
      ...rewards.map((reward) =>
        summaryTable(
          reward,
          methods,
          summaries.filter((s) => s.reward === reward.id),
          settings.evalSamples,
        ),
      ),
      pairsTable(pairs),
      perSeedTable(methods, measurements),
    ],
    plots: rewards.flatMap((reward) => [
      winRatePlot(reward, methods, summaries, measurements),
      gainVersusAccuracyPlot(reward, methods, measurements),
    ]),
    images,
    findings,
    failures,
  };
}
