/**
 * Stage 2 of the base LM (optional): supervised fine-tuning of a saved base model on the UCI
 * labelled review sentences (`loadSentimentSentences`, both labels), so the model writes in the
 * domain of the sentiment benchmark. Resumable like stage 1 (its own checkpoint folder).
 *
 * The sentences are split by a hash of their text (seeded): 80% train this stage, 20% are held
 * out for its loss. Benchmarks that start from the stage-2 model should draw their evaluation
 * prompts from the held-out 20% ({@link splitReviewSentences}).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  loadGPT,
  loadSentimentSentences,
  loadTokenizer,
  realWordRate,
  sampleCompletions,
  saveGPT,
  saveTokenizer,
  SFTTrainer,
  textWords,
  distinctN,
  type SentimentSentence,
} from '@dpo-ts/lm';
import { fnv1a } from './base-corpus.js';

/** Options of {@link runReviewSFT}. */
export interface ReviewSFTOptions {
  /** Stage-2 run folder (checkpoints go to `<runDir>/review-sft/checkpoints`). */
  readonly runDir: string;
  /** A base model folder written by the card (`models/base-en`). */
  readonly from: string;
  /** Where the fine-tuned model and its `card.json` go. */
  readonly out: string;
  readonly steps: number;
  readonly seed: number;
  readonly log: (message: string) => void;
  readonly signal?: AbortSignal;
}

/** Share of review sentences held out from stage 2. */
export const REVIEW_HELD_OUT_FRACTION = 0.2;

/** Splits review sentences by a seeded hash of their text (duplicates fall on the same side). */
export function splitReviewSentences(
  sentences: readonly SentimentSentence[],
  seed: number,
): { train: SentimentSentence[]; heldOut: SentimentSentence[] } {
  const train: SentimentSentence[] = [];
  const heldOut: SentimentSentence[] = [];
  for (const sentence of sentences)
    (fnv1a(`${seed}:${sentence.text}`) % 1000 < 1000 * REVIEW_HELD_OUT_FRACTION ? heldOut : train).push(sentence);
  return { train, heldOut };
}

/** Fine-tunes the base on review sentences and writes the model, tokenizer and `card.json` to `out`. */
export async function runReviewSFT(options: ReviewSFTOptions): Promise<void> {
  const { runDir, from, out, steps, seed, log } = options;
  const tokenizer = await loadTokenizer(join(from, 'tokenizer.json'));
  const model = await loadGPT(from);
  const { train, heldOut } = splitReviewSentences(await loadSentimentSentences(), seed);
  const trainer = await SFTTrainer.create({
    model,
    tokenizer,
    trainDataset: train.map(({ text }) => ({ text })),
    evalDataset: heldOut.map(({ text }) => ({ text })),
    config: {
      totalSteps: steps,
      learningRate: 5e-4,
      lrSchedule: 'cosine',
      warmupSteps: Math.min(20, Math.ceil(steps / 10)),
      weightDecay: 0.1,
      maxGradNorm: 1,
      perDeviceTrainBatchSize: 32,
      perDeviceEvalBatchSize: 64,
      maxLength: Math.min(64, model.contextLength),
      seed,
      loggingSteps: 10,
      saveSteps: 25,
      saveTotalLimit: 2,
      evalSteps: Math.max(1, Math.floor(steps / 4)),
    },
  });
  log(`review SFT: ${train.length} train and ${heldOut.length} held-out sentences, ${steps} steps from ${from}`);
  const before = await trainer.evaluate();
  await trainer.train({
    checkpoint: { dir: join(runDir, 'review-sft', 'checkpoints'), resume: 'auto' },
    ...(options.signal !== undefined && { signal: options.signal }),
  });
  if (options.signal?.aborted) {
    log('review SFT: stopped by a signal; run the same command to resume');
    trainer.dispose();
    model.dispose();
    return;
  }
  const after = await trainer.evaluate();
  // Prompts: the first two words of held-out sentences.
  const prompts = heldOut.slice(0, 40).map(({ text }) => text.split(' ').slice(0, 2).join(' '));
  const longestPrompt = Math.max(...prompts.map((prompt) => tokenizer.encode(prompt).length + 1)); // + BOS
  const maxNewTokens = Math.min(40, model.contextLength - longestPrompt + 1);
  const samples = await sampleCompletions(model, tokenizer, prompts, { seed, temperature: 1, topK: 0, maxNewTokens });
  const completions = samples.map((sample) => sample.completion);
  const dictionary = new Set<string>(createRequire(import.meta.url)('an-array-of-english-words') as string[]);
  const card = {
    name: 'base-en-reviews',
    from,
    steps,
    seed,
    data: `UCI labelled sentences (sentiment package fixtures, CC BY 4.0): ${train.length} train, ${heldOut.length} held out (fnv1a(seed:text) mod 1000 < ${1000 * REVIEW_HELD_OUT_FRACTION})`,
    config: trainer.config,
    heldOutBefore: before,
    heldOutAfter: after,
    sampling: {
      temperature: 1,
      samples: samples.length,
      realWordRate: realWordRate(completions, dictionary).rate,
      distinct1: distinctN(completions.map(textWords), 1).rate,
      distinct2: distinctN(completions.map(textWords), 2).rate,
      eosRate: samples.filter((sample) => sample.finished).length / samples.length,
    },
    samples: samples.slice(0, 10).map(({ prompt, completion }) => ({ prompt, completion })),
  };
  await mkdir(out, { recursive: true });
  await saveGPT(model, out);
  await saveTokenizer(join(out, 'tokenizer.json'), tokenizer);
  await writeFile(join(out, 'card.json'), `${JSON.stringify(card, null, 2)}\n`);
  log(
    `review SFT: held-out loss ${before.loss!.toFixed(4)} -> ${after.loss!.toFixed(4)}; real-word rate ${card.sampling.realWordRate.toFixed(3)}; wrote ${out}`,
  );
  trainer.dispose();
  model.dispose();
}
