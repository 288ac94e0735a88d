import * as tf from '@tensorflow/tfjs-core';
import { formatDuration } from '@dpo-ts/core';
import { BASE_MODEL_DIR, loadBaseModel, loadSentimentSentences } from '@dpo-ts/lm';
import type { BenchmarkContext, BenchmarkResult } from '../harness/benchmark.js';
import { SENTIMENT_EXPERIMENT_CONFIGS, type SentimentExperimentConfig, labelBudget } from './experiment-config.js';
import {
  costTable,
  experimentFindings,
  gainPlot,
  gainsTable,
  gamingTable,
  qualityTable,
  sweepTable,
} from './experiment-report.js';
import { runExperimentSeed, type SeedResult } from './experiment-seed.js';
import { compareMethods, summarizeExperiment } from './experiment-summary.js';
import { experimentMethods } from './method-registry.js';
import { englishDictionary } from './quality-guards.js';

/** Where the pretrained base is read from unless a run says otherwise: `DPO_TS_SENTIMENT_BASE`, else lm's `base-en`. */
export function defaultBaseModelDir(): string {
  return process.env.DPO_TS_SENTIMENT_BASE ?? BASE_MODEL_DIR;
}

/**
 * The sentiment experiment: the committed pretrained base (`loadBaseModel(baseDir)`, e.g. lm's
 * `models/base-en` or `models/base-en-reviews`), then for each seed the protocol of
 * {@link runExperimentSeed} (split, labeler, SFT stage, the label budget's pairs, each method's
 * validation sweep and test measurement), summarised with bootstrap CIs into tables, findings,
 * two plots (labeler and VADER gain vs KL) and a JSON record.
 */
export async function runSentimentExperiment(
  context: BenchmarkContext,
  options: { readonly config?: SentimentExperimentConfig; readonly baseDir?: string } = {},
): Promise<BenchmarkResult> {
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const config = options.config ?? SENTIMENT_EXPERIMENT_CONFIGS[context.mode];
  const baseDir = options.baseDir ?? defaultBaseModelDir();
  const { log, signal } = context;
  const seeds = context.seeds.slice(0, config.seeds);
  const tensorsAtStart = tf.memory().numTensors;
  const methods = experimentMethods(config);
  const base = await loadBaseModel(baseDir);
  const parameters = base.model.numParameters();
  log(
    `base ${baseDir}: ${parameters.toLocaleString('en')} parameters; ${methods.length} method rows, label budget ${labelBudget(config)} per seed, seeds ${seeds.join(', ')}`,
  );
  const sentences = await loadSentimentSentences();
  const runs: SeedResult[] = [];
  try {
    for (const seed of seeds) {
      runs.push(
        await runExperimentSeed(
          {
            pretrained: base.model,
            tokenizer: base.tokenizer,
            sentences,
            config,
            methods,
            dictionary: englishDictionary(),
            log,
            signal,
          },
          seed,
        ),
      );
      log(`seed ${seed} done (${formatDuration((performance.now() - started) / 1000)} elapsed)`);
    }
  } finally {
    base.model.dispose();
  }
  const statistics = { resamples: config.bootstrapResamples, seed: context.seed };
  const summary = summarizeExperiment(runs, { ...statistics, levers: config.gaming.levers });
  const comparisons = [...compareMethods(runs, 'labeler', statistics), ...compareMethods(runs, 'VADER', statistics)];
  const wallSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  log(`done in ${formatDuration(wallSeconds)} (${formatDuration(cpuSeconds)} of CPU time)`);
  const leaked = tf.memory().numTensors - tensorsAtStart;
  // Rows hold BOS + prompt (~8 tokens) + completion.
  const tokensPerSequence = 8 + config.data.maxNewTokens;
  return {
    data: {
      mode: context.mode,
      seeds,
      config,
      baseDir,
      baseCard: base.card,
      parameters,
      wallSeconds,
      /** CPU seconds of this process: close to the wall time of a quiet 2-core machine (wasm runs one thread). */
      cpuSeconds,
      labelBudget: labelBudget(config),
      summary,
      comparisons,
      seedRuns: runs.map((run) => ({
        ...run,
        sftTest: { ...run.sftTest, samples: run.sftTest.samples.slice(0, 8) },
        methods: run.methods.map((m) => ({ ...m, test: { ...m.test, samples: m.test.samples.slice(0, 8) } })),
      })),
    },
    tables: [
      gainsTable(summary),
      qualityTable(summary),
      gamingTable(summary),
      costTable(summary, runs, parameters, tokensPerSequence),
      sweepTable(runs),
    ],
    plots: [gainPlot(summary, 'labeler'), gainPlot(summary, 'VADER')],
    images: [],
    findings: experimentFindings(summary, comparisons, { mode: context.mode, baseDir, wallSeconds, cpuSeconds }),
    failures:
      leaked > 0
        ? [`${leaked} tensors were left alive by the run (${tensorsAtStart} before, ${tensorsAtStart + leaked} after)`]
        : [],
  };
}
