/**
 * Writes the base model folder from the newest checkpoint of a run: weights (`saveGPT`), the
 * tokenizer, `card.json` and `MODEL_CARD.md` with held-out perplexity, the real-word rate,
 * distinct-n and seeded samples. Runs beside a training run without disturbing it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { findLatestCheckpoint, loadCheckpoint, restoreWeights } from '@dpo-ts/core/training';
import {
  buildSFTBatch,
  distinctN,
  GPT,
  lmBatchTensors,
  loadTokenizer,
  nextTokenStatistics,
  realWordRate,
  sampleCompletions,
  saveGPT,
  saveTokenizer,
  textWords,
  tokenizeSFTRecords,
  type BaseModelCard,
  type BaseModelSampleStatistics,
  type ByteBPETokenizerJSON,
  type Tokenizer,
} from '@dpo-ts/lm';
import { corpusStatistics, loadBaseCorpus, splitByDocument, toPassages } from './base-corpus.js';
import { CHECKPOINT_DIR, readWallTime, TOKENIZER_FILE, type BaseRunConfig } from './base-run.js';
import { renderModelCard } from './base-card-markdown.js';

/** Options of {@link writeBaseCard}. */
export interface WriteBaseCardOptions {
  readonly runDir: string;
  readonly out: string;
  readonly config: BaseRunConfig;
  readonly log: (message: string) => void;
}

/** Prompts of the card's samples (completions are what is measured). */
export const CARD_PROMPTS = [
  'The',
  'It was',
  'In the year',
  'The President',
  'I have',
  'She said',
  'The ship',
  'We must',
  'There is',
  'When the',
];
/** Held-out characters per source for the card's perplexity (more than the training-time eval). */
const CARD_EVAL_CHARS_PER_SOURCE = 25_000;
const SAMPLE_REPEATS = 32;
const MAX_NEW_TOKENS = 48;
/** The decodings the card measures; the first is the reference row (ancestral, T = 1). */
const CARD_DECODINGS = [
  { temperature: 1, topK: 0 },
  { temperature: 1, topK: 50 },
  { temperature: 0.8, topK: 0 },
] as const;

/** Writes weights, tokenizer, `card.json` and `MODEL_CARD.md` to `out` from the newest checkpoint. */
export async function writeBaseCard({ runDir, out, config, log }: WriteBaseCardOptions): Promise<BaseModelCard> {
  const checkpointPath = await findLatestCheckpoint(join(runDir, CHECKPOINT_DIR));
  if (checkpointPath === undefined) throw new Error(`no checkpoint in ${join(runDir, CHECKPOINT_DIR)} yet`);
  const checkpoint = await loadCheckpoint(checkpointPath);
  const tokenizer = await loadTokenizer(join(runDir, TOKENIZER_FILE));
  const model = new GPT({ ...config.model, vocabSize: tokenizer.vocabSize });
  restoreWeights(model.namedVariables(), checkpoint.weights, { source: checkpoint.path });
  log(`card: ${checkpoint.path} (step ${checkpoint.step})`);

  const documents = await loadBaseCorpus();
  const { train, heldOut } = splitByDocument(documents, config.heldOutFraction, config.seed);
  const heldOutTexts: string[] = [];
  for (const source of ['brown', 'sotu', 'moby-dick'] as const) {
    let chars = 0;
    for (const passage of heldOut
      .filter((doc) => doc.source === source)
      .flatMap((doc) => toPassages(doc.text, config.maxPassageChars))) {
      if (chars >= CARD_EVAL_CHARS_PER_SOURCE) break;
      heldOutTexts.push(passage);
      chars += passage.length;
    }
  }
  const heldOutLoss = await heldOutStatistics(model, tokenizer, heldOutTexts, model.contextLength);
  log(
    `card: held-out ${heldOutLoss.tokens} tokens, ${heldOutLoss.lossPerToken.toFixed(4)} nats/token, ${heldOutLoss.bitsPerByte.toFixed(4)} bits/byte`,
  );

  const require = createRequire(import.meta.url);
  const dictionary = new Set<string>(require('an-array-of-english-words') as string[]);
  const sampling: BaseModelSampleStatistics[] = [];
  let shown: { prompt: string; completion: string }[] = [];
  // With the KV cache, BOS + prompt + new tokens - 1 must fit the context.
  const longestPrompt = Math.max(...CARD_PROMPTS.map((prompt) => tokenizer.encode(prompt).length + 1));
  const maxNewTokens = Math.min(MAX_NEW_TOKENS, model.contextLength - longestPrompt + 1);
  // Ancestral sampling at T = 1 (the model's own distribution, what RL rollouts draw), the same
  // with transformers' default top-k 50, and T = 0.8.
  for (const { temperature, topK } of CARD_DECODINGS) {
    const prompts = Array.from({ length: SAMPLE_REPEATS }, () => CARD_PROMPTS).flat();
    const samples = await sampleCompletions(model, tokenizer, prompts, {
      seed: config.seed,
      temperature,
      topK,
      maxNewTokens,
      batchSize: 40,
    });
    const completions = samples.map((sample) => sample.completion);
    const words = completions.map(textWords);
    sampling.push({
      temperature,
      topK,
      maxNewTokens,
      seed: config.seed,
      samples: samples.length,
      realWordRate: realWordRate(completions, dictionary).rate,
      distinct1: distinctN(words, 1).rate,
      distinct2: distinctN(words, 2).rate,
      meanLengthTokens: mean(samples.map((sample) => sample.completionIds.length)),
      meanLengthWords: mean(words.map((list) => list.length)),
      eosRate: mean(samples.map((sample) => (sample.finished ? 1 : 0))),
    });
    if (temperature === 1 && topK === 0)
      shown = samples.slice(0, CARD_PROMPTS.length).map(({ prompt, completion }) => ({ prompt, completion }));
  }
  log(
    `card: real-word rate ${sampling.map((s) => `${s.realWordRate.toFixed(3)} at T=${s.temperature}${s.topK > 0 ? ` top-k ${s.topK}` : ''}`).join(', ')}`,
  );

  const wall = await readWallTime(runDir);
  const metadata = checkpoint.metadata as { numTokens?: number } | null;
  const card: BaseModelCard = {
    name: 'base-en',
    parameters: model.numParameters(),
    model: { ...model.config },
    vocabSize: tokenizer.vocabSize,
    steps: checkpoint.step,
    totalSteps: config.training.totalSteps ?? checkpoint.step, // the pretraining config always sets it
    tokensSeen: (metadata?.numTokens ?? 0) + (config.initFrom?.tokensSeen ?? 0),
    wallTimeSeconds: Math.round(wall.seconds + (config.initFrom?.wallTimeSeconds ?? 0)),
    ...(config.initFrom === undefined ? {} : { continuedFrom: config.initFrom }),
    hardware: `${cpus()[0]?.model ?? 'CPU'}, ${cpus().length} cores shared with other jobs; tfjs ${tf.getBackend()} backend, 1 thread; no GPU`,
    heldOut: heldOutLoss,
    heldOutTextRealWordRate: realWordRate(heldOutTexts, dictionary).rate,
    sampling,
    prompts: CARD_PROMPTS,
    samples: shown,
    corpus: {
      sources: corpusStatistics(documents),
      trainDocuments: train.length,
      heldOutDocuments: heldOut.length,
      heldOutFraction: config.heldOutFraction,
    },
    training: config.training,
    checkpoint: checkpoint.path,
    writtenAt: new Date().toISOString(),
  };
  await mkdir(out, { recursive: true });
  await saveGPT(model, out);
  await saveTokenizer(join(out, 'tokenizer.json'), tokenizer);
  await writeFile(join(out, 'card.json'), `${JSON.stringify(card, null, 2)}\n`);
  await writeFile(join(out, 'MODEL_CARD.md'), renderModelCard(card, config, runDir));
  log(`card: wrote ${out}`);
  model.dispose();
  return card;
}

/** Next-token loss of the model on packed held-out windows, per token and per UTF-8 byte. */
async function heldOutStatistics(
  model: GPT,
  tokenizer: Tokenizer,
  texts: readonly string[],
  windowLength: number,
): Promise<BaseModelCard['heldOut']> {
  const rows = tokenizeSFTRecords(
    texts.map((text) => ({ text })),
    tokenizer,
    { maxLength: windowLength, packing: true },
  );
  const bytesOf = tokenByteLengths(tokenizer);
  let nll = 0;
  let tokens = 0;
  let bytes = 0;
  for (let start = 0; start < rows.length; start += 16) {
    const batch = buildSFTBatch(rows.slice(start, start + 16), tokenizer.padTokenId);
    const stats = tf.tidy(() => {
      const { inputIds, lossMask } = lmBatchTensors(batch);
      const s = nextTokenStatistics(model, inputIds, lossMask, { training: false });
      return tf.stack([s.nllSum, s.tokenCount]);
    });
    const [batchNll, batchTokens] = await stats.data();
    stats.dispose();
    nll += batchNll!;
    tokens += batchTokens!;
    for (let r = 0; r < batch.batchSize; r++) {
      for (let t = 1; t < batch.sequenceLength; t++) {
        const index = r * batch.sequenceLength + t;
        if (batch.lossMask[index]! > 0) bytes += bytesOf[batch.inputIds[index]!] ?? 0;
      }
    }
  }
  const lossPerToken = nll / tokens;
  return {
    tokens,
    bytes,
    lossPerToken,
    perplexityPerToken: Math.exp(lossPerToken),
    perplexityPerByte: Math.exp(nll / bytes),
    bitsPerByte: nll / bytes / Math.LN2,
  };
}

/** UTF-8 bytes each token id stands for (0 for PAD, BOS, EOS), from the byte-level BPE merges. */
function tokenByteLengths(tokenizer: Tokenizer): number[] {
  const json = tokenizer.toJSON() as ByteBPETokenizerJSON;
  const lengths = Array.from({ length: 256 }, () => 1);
  for (const [left, right] of json.merges) lengths.push(lengths[left]! + lengths[right]!);
  while (lengths.length < tokenizer.vocabSize) lengths.push(0);
  return lengths;
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}
