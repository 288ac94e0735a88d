import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { formatDuration } from '@dpo-ts/core';
import type { BenchmarkContext, BenchmarkMode, BenchmarkResult } from '../harness/benchmark.js';
import { loadOrTrainBaseModel, throwIfAborted } from './base-model.js';
import { SENTIMENT_FRONTIER_CONFIGS, type SentimentFrontierConfig } from './frontier-config.js';
import { loadFrontierData } from './frontier-data.js';
import { frontierFindings } from './frontier-findings.js';
import { frontierPlot } from './frontier-plot.js';
import type { FrontierPoint } from './frontier-point.js';
import { summarizeFrontier } from './frontier-summary.js';
import { computeTable, frontierTable, sharedInputsTable } from './frontier-tables.js';
import { pointsPerSeed, runFrontierSeed, type SeedRun } from './run-seed.js';
import { trainSentimentClassifier } from './sentiment-classifier.js';
import { mean } from './statistics.js';

/**
 * Seeds used per mode (the runner may pass more): one in smoke and quick, where the budget is
 * minutes, three in full. The spread across seeds covers pair sampling, reward-model and policy
 * training and evaluation sampling; the base model and the classifier are fixed by the base seed.
 */
export const SEEDS_USED: Readonly<Record<BenchmarkMode, number>> = Object.freeze({ smoke: 1, quick: 1, full: 3 });

/**
 * The whole benchmark: data split and prompts (base seed), the ground-truth classifier, the
 * cached SFT base model, then every method for each seed of `context.seeds`, summarised into
 * the frontier plot, the tables, the findings and a JSON record of everything.
 * @param configOverride - replaces the mode's preset (tests and experiments).
 */
export async function runSentimentFrontier(
  context: BenchmarkContext,
  configOverride?: SentimentFrontierConfig,
): Promise<BenchmarkResult> {
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const config = configOverride ?? SENTIMENT_FRONTIER_CONFIGS[context.mode];
  const { log, signal } = context;
  const seeds = context.seeds.slice(0, SEEDS_USED[context.mode]);
  const tensorsAtStart = tf.memory().numTensors;
  const data = await loadFrontierData(config.data, context.seed);
  log(
    `data: ${data.train.length} training / ${data.heldOut.length} held-out UCI sentences; ${data.pairPrompts.length} pair prompts, ${data.evalPrompts.length} evaluation prompts`,
  );

  const classifierStarted = performance.now();
  const classifier = trainSentimentClassifier(data.train, config.classifier);
  const classifierInfo = {
    heldOutAccuracy: classifier.accuracy(data.heldOut),
    trainAccuracy: classifier.accuracy(data.train),
    heldOutSentences: data.heldOut.length,
    wallSeconds: (performance.now() - classifierStarted) / 1000,
    features: classifier.summary.features,
    trainLoss: classifier.summary.trainLoss,
  };
  log(
    `ground-truth classifier: held-out accuracy ${classifierInfo.heldOutAccuracy.toFixed(3)} (train ${classifierInfo.trainAccuracy.toFixed(3)}), ${classifierInfo.wallSeconds.toFixed(1)} s`,
  );
  const groundTruth = (prompt: string, completion: string): number => classifier.logit(prompt + completion);
  throwIfAborted(signal);

  const base = await loadOrTrainBaseModel({
    config: config.base,
    seed: context.seed,
    train: data.train,
    heldOut: data.heldOut,
    cacheDir: path.join(context.outDir, 'cache'),
    log,
    signal,
  });
  const seedRuns: SeedRun[] = [];
  const points: FrontierPoint[] = [];
  try {
    const total = pointsPerSeed(config) * seeds.length;
    const methodsStarted = performance.now();
    for (const seed of seeds) {
      const run = await runFrontierSeed(
        { base: base.model, tokenizer: base.tokenizer, data, config, groundTruth, log, signal },
        seed,
        (point) => {
          points.push(point);
          const elapsed = (performance.now() - methodsStarted) / 1000;
          log(
            `[seed ${seed}] ${point.family} ${point.setting}: reward ${point.reward.toFixed(3)}, KL ${point.kl.toFixed(2)} ` +
              `(${points.length}/${total} points, ${formatDuration(elapsed)} elapsed, ETA ~${formatDuration((elapsed / points.length) * (total - points.length))})`,
          );
        },
      );
      seedRuns.push(run);
    }
  } finally {
    base.model.dispose();
  }

  const summaries = summarizeFrontier(points);
  const rewardModelAccuracy = mean(seedRuns.map((s) => s.rewardModel.heldOutAccuracy));
  const rewardModelCorrelation = mean(seedRuns.map((s) => s.rewardModel.groundTruthCorrelation));
  const findings = frontierFindings(summaries, {
    mode: context.mode,
    seeds: seeds.length,
    classifierAccuracy: classifierInfo.heldOutAccuracy,
    rewardModelAccuracy,
    rewardModelCorrelation,
    baseParameters: base.info.parameters,
  });
  const wallSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  log(`done in ${formatDuration(wallSeconds)} (${formatDuration(cpuSeconds)} of CPU time)`);
  const leaked = tf.memory().numTensors - tensorsAtStart;
  const failures =
    leaked > 0
      ? [`${leaked} tensors were left alive by the run (${tensorsAtStart} before, ${tensorsAtStart + leaked} after)`]
      : [];
  return {
    data: {
      mode: context.mode,
      seed: context.seed,
      seeds,
      config,
      wallSeconds,
      /** CPU seconds of this process: close to the wall time a quiet 2-core machine would take (wasm runs one thread). */
      cpuSeconds,
      base: { ...base.info, cached: base.cached, loadOrTrainSeconds: base.wallSeconds, dir: base.dir },
      classifier: classifierInfo,
      prompts: {
        pair: data.pairPrompts.length,
        eval: data.evalPrompts.length,
        evalExamples: data.evalPrompts.slice(0, 10),
      },
      seedRuns: seedRuns.map(({ points: _points, ...rest }) => rest),
      summaries,
      points,
      bestOfNKL: 'log N - (N - 1) / N (Stiennon et al. 2020; an upper bound, Beirami et al. 2024)',
    },
    tables: [
      frontierTable(summaries, seeds.length),
      computeTable(summaries),
      sharedInputsTable({
        config,
        base: { ...base.info, cached: base.cached, wallSeconds: base.wallSeconds },
        classifier: classifierInfo,
        seeds: seedRuns,
      }),
    ],
    plots: [frontierPlot(summaries, points)],
    images: [],
    findings,
    failures,
  };
}
