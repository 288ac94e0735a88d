import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { formatDuration } from '@dpo-ts/core/training';
import type { BaseModelCard } from '@dpo-ts/lm';
import type { BenchmarkContext, BenchmarkResult } from '../harness/benchmark.js';
import { type CellBenchmark, type CellResult, runCellsInProcess } from '../harness/cells.js';
import { labelBudget } from './experiment-config.js';
import {
  defaultBaseModelDir,
  releaseSentimentCells,
  type SentimentCell,
  type SentimentCellResult,
} from './experiment-cells.js';
import {
  costTable,
  experimentFindings,
  gainPlot,
  gainsTable,
  gamingTable,
  qualityTable,
  sweepTable,
} from './experiment-report.js';
import type { SeedResult } from './experiment-seed.js';
import { compareMethods, summarizeExperiment } from './experiment-summary.js';
import { sentimentSeeds } from './experiment-plan.js';
import { experimentMethods } from './method-registry.js';
import { chooseSetting, type SettingResult } from './setting-cell.js';

/**
 * Runs the experiment's cells here (seed-major; each seed prepared once) and reduces them, then
 * frees the kept preparations and the base, and reports any tensor left alive.
 */
export async function runSentimentInProcess(
  benchmark: CellBenchmark,
  context: BenchmarkContext,
): Promise<BenchmarkResult> {
  const tensorsAtStart = tf.memory().numTensors;
  let result: BenchmarkResult;
  try {
    result = await runCellsInProcess(benchmark, context);
  } finally {
    await releaseSentimentCells();
  }
  const leaked = tf.memory().numTensors - tensorsAtStart;
  return leaked > 0
    ? {
        ...result,
        failures: [
          ...(result.failures ?? []),
          `${leaked} tensors were left alive by the run (${tensorsAtStart} before, ${tensorsAtStart + leaked} after)`,
        ],
      }
    : result;
}

/**
 * The report of the sentiment experiment from its cells' results (in plan order, from this
 * process or a queue): per seed, the baseline and, per method row, the setting chosen on
 * validation ({@link chooseSetting}); then bootstrap CIs over seeds and prompts into tables,
 * findings, two plots (labeler and VADER gain vs KL) and a JSON record.
 * @throws Error naming a seed whose preparation or a method row whose settings are missing.
 */
export async function reduceSentimentExperiment(
  cells: readonly CellResult[],
  context: BenchmarkContext,
): Promise<BenchmarkResult> {
  const first = cells[0]?.cell.payload as SentimentCell | undefined;
  if (first === undefined) throw new Error('sentiment-frontier: no cell results to reduce');
  await releaseSentimentCells();
  const { config } = first;
  const baseDir = first.base.dir ?? defaultBaseModelDir();
  const baseCard = JSON.parse(readFileSync(join(baseDir, 'card.json'), 'utf8')) as BaseModelCard;
  const parameters = baseCard.parameters;
  const methods = experimentMethods(config);
  const results = cells.map((cell) => ({
    cell: cell.cell.payload as SentimentCell,
    result: cell.result as SentimentCellResult,
  }));
  const { selection, test } = sentimentSeeds(context, config);
  const seedRun = (seed: number): SeedResult => {
    const ofSeed = results.filter((r) => r.cell.seed === seed);
    const prepared = ofSeed.find((r) => r.result.kind === 'seed')?.result;
    if (prepared?.kind !== 'seed') throw new Error(`sentiment-frontier: seed ${seed} has no preparation result`);
    const settings = ofSeed.flatMap((r) => (r.result.kind === 'setting' ? [r.result.result] : []));
    const rewardModel = settings.find((s) => s.rewardModel !== null)?.rewardModel ?? null;
    return {
      ...prepared.baseline,
      rewardModelAccuracy: rewardModel?.accuracy ?? null,
      rewardModelCost: rewardModel?.cost ?? null,
      methods: methods.map((method) =>
        chooseSetting(
          method,
          settings.filter((s: SettingResult) => s.method === method.name),
        ),
      ),
    };
  };
  // The sweep and its choice come from the selection seed; every reported number from the test
  // seeds, which ran only the chosen settings (their sweep cost is the selection seed's).
  const seeds = test.filter((seed) => results.some((r) => r.cell.seed === seed));
  if (seeds.length === 0) throw new Error(`sentiment-frontier: no test seed (${test.join(', ')}) has results`);
  const selectionRun = seedRun(selection);
  const runs: SeedResult[] = seeds.map((seed) => {
    const run = seedRun(seed);
    return {
      ...run,
      methods: run.methods.map((method, row) => ({
        ...method,
        validation: selectionRun.methods[row]!.validation,
        sweepCost: selectionRun.methods[row]!.sweepCost,
      })),
    };
  });
  const wallSeconds = results.reduce((sum, r) => sum + r.result.wallSeconds, 0);
  const cpuSeconds = results.reduce((sum, r) => sum + r.result.cpuSeconds, 0);
  context.log(`done: cells took ${formatDuration(wallSeconds)} (${formatDuration(cpuSeconds)} of CPU time)`);
  const statistics = { resamples: config.bootstrapResamples, seed: context.seed };
  const summary = summarizeExperiment(runs, { ...statistics, levers: config.gaming.levers });
  const comparisons = [...compareMethods(runs, 'labeler', statistics), ...compareMethods(runs, 'VADER', statistics)];
  // Rows hold BOS + prompt (~8 tokens) + completion.
  const tokensPerSequence = 8 + config.data.maxNewTokens;
  return {
    data: {
      mode: context.mode,
      seeds,
      selectionSeed: selection,
      chosen: Object.fromEntries(selectionRun.methods.map((m) => [m.name, m.chosen])),
      config,
      baseDir,
      baseCard,
      parameters,
      /** Wall seconds summed over the cells (stored ones at the time they ran; parallel workers overlap). */
      wallSeconds,
      /** CPU seconds of the cells' processes: close to the wall time of a quiet 2-core machine (wasm runs one thread). */
      cpuSeconds,
      labelBudget: labelBudget(config),
      summary,
      comparisons,
      seedRuns: runs.map(trimSamples),
      /** The selection seed at its chosen settings (its test prompts are not in any reported number). */
      selectionRun: trimSamples(selectionRun),
    },
    tables: [
      gainsTable(summary, selection),
      qualityTable(summary),
      gamingTable(summary),
      costTable(summary, runs, parameters, tokensPerSequence),
      sweepTable(selectionRun),
    ],
    plots: [gainPlot(summary, 'labeler'), gainPlot(summary, 'VADER')],
    images: [],
    findings: experimentFindings(summary, comparisons, {
      mode: context.mode,
      // The report names the committed base by its place in the repository, not this machine's path.
      baseDir: first.base.dir ?? 'packages/lm/models/base-en (the committed base)',
      wallSeconds,
      cpuSeconds,
      selectionSeed: selection,
    }),
    failures: [],
  };
}

/** A seed's result with its first 8 test samples per method (the JSON record stays small). */
function trimSamples(run: SeedResult): SeedResult {
  return {
    ...run,
    sftTest: { ...run.sftTest, samples: run.sftTest.samples.slice(0, 8) },
    methods: run.methods.map((m) => ({ ...m, test: { ...m.test, samples: m.test.samples.slice(0, 8) } })),
  };
}
