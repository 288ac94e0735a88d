import { createHash } from 'node:crypto';
import { access, mkdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { evalKey, METRIC_NAMES, writeFileAtomic, type Metrics } from '@dpo-ts/core';
import {
  CharTokenizer,
  GPT,
  loadBrownCorpus,
  loadGPT,
  loadTokenizer,
  saveGPT,
  saveTokenizer,
  SFTTrainer,
  type SentimentSentence,
  type Tokenizer,
} from '@dpo-ts/lm';
import type { BaseModelConfig } from './frontier-config.js';
import { progressTo } from './log-stream.js';

/** Bumped when the recipe changes in a way the config does not show, to invalidate caches. */
const BASE_RECIPE_VERSION = 1;

/** How the base model was made, stored beside it. */
export interface BaseModelInfo {
  readonly key: string;
  readonly config: BaseModelConfig;
  readonly seed: number;
  readonly parameters: number;
  readonly vocabSize: number;
  readonly pretrain: {
    readonly steps: number;
    readonly finalLoss: number;
    readonly wallSeconds: number;
    readonly windows: number;
  };
  readonly sft: {
    readonly steps: number;
    readonly finalLoss: number;
    readonly wallSeconds: number;
    readonly heldOutPerplexityBefore: number;
    readonly heldOutPerplexityAfter: number;
  };
}

/** The SFT model every method starts from (and the reference of every KL). */
export interface BaseModel {
  readonly model: GPT;
  readonly tokenizer: Tokenizer;
  readonly info: BaseModelInfo;
  /** True when it was loaded from the cache rather than trained now. */
  readonly cached: boolean;
  readonly dir: string;
  /** Seconds spent here now (training, or just loading). */
  readonly wallSeconds: number;
}

/** The cache key of a base model: a hash of everything that determines its weights. */
export function baseModelKey(config: BaseModelConfig, seed: number, heldOutSentences: number): string {
  const identity = JSON.stringify({ version: BASE_RECIPE_VERSION, config, seed, heldOutSentences });
  return createHash('sha256').update(identity).digest('hex').slice(0, 12);
}

/**
 * The SFT base model of the benchmark, the recipe of lm's `examples/sentiment-dpo.ts`: a
 * character GPT (tokenizer over the Brown texts and every UCI sentence) pre-trained on packed
 * Brown-corpus windows, then fine-tuned on the training-split review sentences (whole sentences,
 * packed), both with lm's `SFTTrainer` (cosine schedule with warm-up).
 *
 * Cached in `<cacheDir>/base-<key>/` (`model/`, `tokenizer.json`, `base.json` written last), where
 * the key hashes the config, the seed and the split: a later run with the same settings loads
 * it instead of training.
 */
export async function loadOrTrainBaseModel(options: {
  readonly config: BaseModelConfig;
  readonly seed: number;
  readonly train: readonly SentimentSentence[];
  readonly heldOut: readonly SentimentSentence[];
  readonly cacheDir: string;
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal | undefined;
}): Promise<BaseModel> {
  const { config, seed, train, heldOut, log } = options;
  const started = performance.now();
  const key = baseModelKey(config, seed, heldOut.length);
  const dir = path.join(options.cacheDir, `base-${key}`);
  const infoFile = path.join(dir, 'base.json');
  if (await exists(infoFile)) {
    const info = JSON.parse(await readFile(infoFile, 'utf8')) as BaseModelInfo;
    const model = await loadGPT(path.join(dir, 'model'));
    const tokenizer = await loadTokenizer(path.join(dir, 'tokenizer.json'));
    log(`base model: loaded from cache ${dir} (${info.parameters.toLocaleString('en')} parameters)`);
    return { model, tokenizer, info, cached: true, dir, wallSeconds: (performance.now() - started) / 1000 };
  }

  const brown = await loadBrownCorpus({ limit: config.brownTexts });
  const tokenizer = CharTokenizer.fromCorpus([
    ...brown.map((d) => d.text),
    ...train.map((s) => s.text),
    ...heldOut.map((s) => s.text),
  ]);
  const model = new GPT({
    vocabSize: tokenizer.vocabSize,
    contextLength: config.contextLength,
    dModel: config.dModel,
    nLayer: config.nLayer,
    nHead: config.nHead,
    seed,
  });
  log(
    `base model: training ${model.numParameters().toLocaleString('en')} parameters (d ${config.dModel}, ${config.nLayer} layers, context ${config.contextLength}, vocab ${tokenizer.vocabSize}); cache ${dir}`,
  );
  const headline = [METRIC_NAMES.loss, METRIC_NAMES.meanTokenAccuracy, METRIC_NAMES.trainTokensPerSecond];
  const warmup = (steps: number): number => Math.min(20, Math.floor(steps / 4));
  const last = (history: readonly { metrics: Metrics }[]): number => history.at(-1)?.metrics[METRIC_NAMES.loss] ?? NaN;

  const pretrainer = await SFTTrainer.create({
    model,
    tokenizer,
    trainDataset: brown.map((d) => ({ text: d.text })),
    config: {
      totalSteps: config.pretrainSteps,
      learningRate: config.pretrainLearningRate,
      lrSchedule: 'cosine',
      warmupSteps: warmup(config.pretrainSteps),
      perDeviceTrainBatchSize: config.batchSize,
      packing: true,
      seed,
    },
  });
  const pretrained = await pretrainer.train({
    progress: progressTo(log, 'base pre-training (Brown)', headline, 10),
    signal: options.signal,
  });
  pretrainer.dispose();
  throwIfAborted(options.signal);

  const sft = await SFTTrainer.create({
    model,
    tokenizer,
    trainDataset: train.map((s) => ({ text: s.text })),
    evalDataset: heldOut.map((s) => ({ text: s.text })),
    config: {
      totalSteps: config.sftSteps,
      learningRate: config.sftLearningRate,
      lrSchedule: 'cosine',
      warmupSteps: warmup(config.sftSteps),
      perDeviceTrainBatchSize: config.batchSize,
      perDeviceEvalBatchSize: 32,
      packing: true,
      seed,
    },
  });
  const before = await sft.evaluate();
  const tuned = await sft.train({
    progress: progressTo(log, 'base SFT (UCI reviews)', headline, 10),
    signal: options.signal,
  });
  const after = await sft.evaluate();
  sft.dispose();
  throwIfAborted(options.signal);
  log(
    `base model: held-out review perplexity ${before[evalKey(METRIC_NAMES.perplexity)]!.toFixed(2)} -> ${after[evalKey(METRIC_NAMES.perplexity)]!.toFixed(2)}`,
  );

  const info: BaseModelInfo = {
    key,
    config,
    seed,
    parameters: model.numParameters(),
    vocabSize: tokenizer.vocabSize,
    pretrain: {
      steps: config.pretrainSteps,
      finalLoss: last(pretrained.history),
      wallSeconds: pretrained.wallTimeSeconds,
      windows: pretrainer.trainRows.length,
    },
    sft: {
      steps: config.sftSteps,
      finalLoss: last(tuned.history),
      wallSeconds: tuned.wallTimeSeconds,
      heldOutPerplexityBefore: before[evalKey(METRIC_NAMES.perplexity)]!,
      heldOutPerplexityAfter: after[evalKey(METRIC_NAMES.perplexity)]!,
    },
  };
  await mkdir(dir, { recursive: true });
  await saveGPT(model, path.join(dir, 'model'));
  await saveTokenizer(path.join(dir, 'tokenizer.json'), tokenizer);
  await writeFileAtomic(infoFile, JSON.stringify(info, null, 2));
  return { model, tokenizer, info, cached: false, dir, wallSeconds: (performance.now() - started) / 1000 };
}

/** Throws the signal's reason (or an AbortError) when it has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
