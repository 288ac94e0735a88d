/**
 * End to end on real text: pre-train a character GPT on the Brown corpus, fine-tune it on UCI
 * review sentences (SFT), sample pairs of continuations of review openings and label them with
 * the AFINN sentiment lexicon, train DPO towards positive sentiment, and compare samples of the
 * policy and the reference (mean reward, win rate, KL). Results go to `<out>/results.json`
 * and `<out>/summary.md`.
 *
 *   npm run example -w @dpo-ts/lm            # --quick preset, ~7 min on 2 cores (wasm)
 *   node dist/examples/sentiment-dpo.js --help
 */
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import type { Metrics } from '@dpo-ts/core';
import { trainEvalSplit, writePreferenceJsonl } from '@dpo-ts/core/data';
import { selectBackend } from '@dpo-ts/core/backend';
import { writeFileAtomic } from '@dpo-ts/core/io';
import {
  afinnSentiment,
  CharTokenizer,
  comparePolicyToReference,
  DPOTrainer,
  GPT,
  loadBrownCorpus,
  loadSentimentSentences,
  samplePreferencePairs,
  saveGPT,
  saveTokenizer,
  SFTTrainer,
  type PolicyComparison,
} from '@dpo-ts/lm';
import { parseExampleOptions } from './sentiment-dpo-options.js';
import { writeSummary, type ExampleResults } from './sentiment-dpo-report.js';
import { RunStats } from './run-stats.js';

const options = parseExampleOptions(process.argv.slice(2));
const stats = new RunStats();
const backend = await selectBackend({ backend: options.backend });
await mkdir(options.out, { recursive: true });

// Data: Brown texts for pre-training; review sentences split into SFT/pair prompts and held-out prompts.
const brown = await loadBrownCorpus({ limit: options.brownTexts });
const reviews = await loadSentimentSentences();
const split = trainEvalSplit(reviews, { evalSize: Math.min(600, Math.floor(reviews.length / 4)), seed: options.seed });
const tokenizer = CharTokenizer.fromCorpus([...brown.map((d) => d.text), ...reviews.map((r) => r.text)]);
/** Longest opening in characters (one token each), so opening + continuation fit the context. */
const OPENING_CHARS = 20;
/** A review's opening, which the model continues: its first two words, else its first word, else its first 12 characters. */
const opening = (text: string): string => {
  const words = text.split(' ');
  const two = words.slice(0, 2).join(' ');
  return two.length <= OPENING_CHARS ? two : words[0]!.length <= OPENING_CHARS ? words[0]! : text.slice(0, 12);
};
const pairPrompts = split.train.slice(0, options.pairPrompts).map((r) => opening(r.text));
const evalPrompts = split.eval.slice(0, options.evalPrompts).map((r) => opening(r.text));
const reward = (completion: string): number => afinnSentiment(completion).score;

const model = new GPT({
  vocabSize: tokenizer.vocabSize,
  contextLength: options.contextLength,
  dModel: options.dModel,
  nLayer: options.nLayer,
  nHead: options.nHead,
  seed: options.seed,
});
console.error(
  `model: ${model.numParameters().toLocaleString('en')} parameters (d ${options.dModel}, ${options.nLayer} layers, ${options.nHead} heads, context ${options.contextLength}, vocab ${tokenizer.vocabSize})`,
);
const lastMetrics = (history: readonly { metrics: Metrics }[]): Metrics => history.at(-1)?.metrics ?? {};

// 1. Pre-training on Brown: packed 64-character windows.
const pretrain = await stats.phase('pre-training on the Brown corpus', async () => {
  const trainer = await SFTTrainer.create({
    model,
    tokenizer,
    trainDataset: brown.map((d) => ({ text: d.text })),
    config: {
      totalSteps: options.pretrainSteps,
      learningRate: 3e-3,
      lrSchedule: 'cosine',
      warmupSteps: Math.min(20, Math.floor(options.pretrainSteps / 4)),
      perDeviceTrainBatchSize: options.batchSize,
      packing: true,
      loggingSteps: 25,
      seed: options.seed,
    },
  });
  const result = await trainer.train();
  trainer.dispose();
  return {
    last: lastMetrics(result.history),
    windows: trainer.trainRows.length,
    wallTimeSeconds: result.wallTimeSeconds,
  };
});

// 2. SFT on review sentences (whole sentences, packed), evaluated on held-out sentences.
const sft = await stats.phase('SFT on UCI review sentences', async () => {
  const trainer = await SFTTrainer.create({
    model,
    tokenizer,
    trainDataset: split.train.map((r) => ({ text: r.text })),
    evalDataset: split.eval.map((r) => ({ text: r.text })),
    config: {
      totalSteps: options.sftSteps,
      learningRate: 1e-3,
      lrSchedule: 'cosine',
      warmupSteps: Math.min(10, Math.floor(options.sftSteps / 4)),
      perDeviceTrainBatchSize: options.batchSize,
      perDeviceEvalBatchSize: 32,
      packing: true,
      loggingSteps: 25,
      seed: options.seed,
    },
  });
  const before = await trainer.evaluate();
  const result = await trainer.train();
  const after = await trainer.evaluate();
  trainer.dispose();
  console.error(`held-out review perplexity ${before.perplexity!.toFixed(2)} -> ${after.perplexity!.toFixed(2)}`);
  return {
    last: lastMetrics(result.history),
    evalBefore: before,
    evalAfter: after,
    wallTimeSeconds: result.wallTimeSeconds,
  };
});
await saveGPT(model, path.join(options.out, 'sft-model'));
await saveTokenizer(path.join(options.out, 'tokenizer.json'), tokenizer);

// 3. On-policy pairs: samples of the SFT model, best vs worst AFINN score per prompt.
// BOS + opening + continuation must fit the context (generate's KV cache holds contextLength positions).
const sampling = {
  maxNewTokens: Math.min(options.maxNewTokens, options.contextLength - OPENING_CHARS),
  temperature: 1,
  seed: options.seed,
  batchSize: 64,
};
const sampled = await stats.phase('sampling preference pairs', async () => {
  const result = await samplePreferencePairs(model, tokenizer, pairPrompts, (completion) => reward(completion), {
    ...sampling,
    samplesPerPrompt: options.samplesPerPrompt,
  });
  if (result.pairs.length < 10) {
    throw new Error(
      `only ${result.pairs.length} preference pairs from ${pairPrompts.length} prompts: the samples of ${result.skipped} prompts all scored the same. ` +
        'Train longer (--pretrain-steps, --sft-steps) or sample more (--pair-prompts, --samples-per-prompt).',
    );
  }
  await writePreferenceJsonl(path.join(options.out, 'pairs.jsonl'), result.pairs);
  console.error(
    `${result.pairs.length} pairs from ${pairPrompts.length} prompts (${result.skipped} ties skipped, ${result.sampled} samples)`,
  );
  return result;
});
const pairSplit = trainEvalSplit(sampled.pairs, { evalFraction: 0.1, seed: options.seed });

// 4. DPO against a frozen copy of the SFT model, reference scores precomputed and cached on disk.
const dpo = await stats.phase('DPO', async () => {
  const trainer = await DPOTrainer.create({
    model,
    tokenizer,
    trainDataset: pairSplit.train,
    evalDataset: pairSplit.eval,
    config: {
      totalSteps: options.dpoSteps,
      beta: options.beta,
      learningRate: options.dpoLearningRate,
      warmupSteps: Math.min(10, Math.floor(options.dpoSteps / 4)),
      perDeviceTrainBatchSize: options.dpoBatchSize,
      perDeviceEvalBatchSize: 32,
      precomputeRefLogProbs: true,
      evalSteps: Math.max(1, Math.floor(options.dpoSteps / 4)),
      loggingSteps: 10,
      seed: options.seed,
    },
    referenceCacheFile: path.join(options.out, 'reference-scores.json'),
  });
  const evalBefore = await trainer.evaluate();
  const result = await trainer.train();
  const evalAfter = await trainer.evaluate();
  return { trainer, evalBefore, evalAfter, last: lastMetrics(result.history), wallTimeSeconds: result.wallTimeSeconds };
});

// 5. Before and after: samples of the reference (the SFT model) and the policy on held-out openings.
const comparison: PolicyComparison = await stats.phase('comparing policy and reference samples', () =>
  comparePolicyToReference({
    policy: model,
    reference: dpo.trainer.referenceModel!,
    tokenizer,
    prompts: evalPrompts,
    reward: (completion) => reward(completion),
    sampling: { ...sampling, seed: options.seed + 1000 },
  }),
);
dpo.trainer.dispose();
await saveGPT(model, path.join(options.out, 'dpo-model'));

const results: ExampleResults = {
  options,
  backend: { name: backend.name, overrides: backend.overrides },
  model: { parameters: model.numParameters(), vocabSize: tokenizer.vocabSize },
  pretrain,
  sft,
  pairs: {
    count: sampled.pairs.length,
    skipped: sampled.skipped,
    sampled: sampled.sampled,
    train: pairSplit.train.length,
    eval: pairSplit.eval.length,
  },
  dpo: { evalBefore: dpo.evalBefore, evalAfter: dpo.evalAfter, last: dpo.last, wallTimeSeconds: dpo.wallTimeSeconds },
  comparison,
  phases: stats.phases,
  totalSeconds: stats.elapsed(),
  peakRssMiB: stats.peakRssMiB,
};
await writeFileAtomic(
  path.join(options.out, 'results.json'),
  JSON.stringify(
    {
      ...results,
      comparison: {
        ...comparison,
        policy: { ...comparison.policy, samples: comparison.policy.samples.slice(0, 50) },
        reference: { ...comparison.reference, samples: comparison.reference.samples.slice(0, 50) },
      },
    },
    null,
    2,
  ),
);
const summary = writeSummary(results);
await writeFileAtomic(path.join(options.out, 'summary.md'), summary);
console.log(summary);
stats.stop();
model.dispose();
