/**
 * Pretrains the English base LM (`models/base-en`): a byte-level BPE tokenizer and a GPT,
 * trained with a plain next-token loss (`SFTTrainer` with packing, through core's loop) on
 * the Brown corpus, the State of the Union addresses and Moby Dick, all shipped by npm
 * packages. Resumable: the first launch writes the whole configuration to `<run-dir>/run.json`
 * and every later launch reuses it and continues from the newest checkpoint.
 *
 *   npx turbo run build --filter=@dpo-ts/lm
 *   cd packages/lm
 *   node dist/scripts/train-base.js --run-dir /work/base-lm-run [--steps 2400] [--d-model 160] ...
 *   node dist/scripts/train-base.js --run-dir /work/base-lm-run --card-only   # refresh models/base-en
 *   node dist/scripts/train-base.js --run-dir /tmp/bench --bench 5            # ms/step, tokens/s
 *   node dist/scripts/train-base.js --run-dir /work/base-lm-run2 --init-from models/base-en --steps 2600 --lr 1e-3
 *                                   # continue pretraining a saved base (new run folder, new schedule)
 *   node dist/scripts/train-base.js --run-dir /work/base-lm-run --stage review-sft --from models/base-en
 *                                   # stage 2 (optional): SFT on the UCI review sentences
 *
 * SIGINT/SIGTERM stop the run at its next checkpoint (a step awaits only settled promises, so
 * the signal handler runs when the checkpoint's file I/O lets the event loop turn); kill -9
 * loses the steps since the last checkpoint, and the next launch redoes them identically.
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { mkdir, readFile } from 'node:fs/promises';
import { selectBackend, type BackendRequest } from '@dpo-ts/core/backend';
import {
  ByteBPETokenizer,
  GPT,
  loadGPTWeights,
  loadTokenizer,
  saveTokenizer,
  SFTTrainer,
  type BaseModelCard,
  type Tokenizer,
} from '@dpo-ts/lm';
import { corpusStatistics, loadBaseCorpus, splitByDocument, toPassages, type CorpusDocument } from './base-corpus.js';
import {
  CHECKPOINT_DIR,
  PROGRESS_FILE,
  readRunConfig,
  readWallTime,
  TOKENIZER_FILE,
  writeRunConfig,
  writeWallTime,
  type BaseRunConfig,
  type BaseTrainingStage,
} from './base-run.js';

const { values } = parseArgs({
  options: {
    'run-dir': { type: 'string', default: '/work/base-lm-run' },
    out: { type: 'string' },
    steps: { type: 'string', default: '2400' },
    'vocab-size': { type: 'string', default: '2048' },
    'd-model': { type: 'string', default: '160' },
    layers: { type: 'string', default: '4' },
    heads: { type: 'string', default: '5' },
    context: { type: 'string', default: '128' },
    'batch-size': { type: 'string', default: '16' },
    lr: { type: 'string', default: '2e-3' },
    'save-steps': { type: 'string', default: '25' },
    'eval-steps': { type: 'string', default: '200' },
    seed: { type: 'string', default: '0' },
    backend: { type: 'string', default: 'wasm' },
    bench: { type: 'string' },
    'limit-docs': { type: 'string' },
    'card-only': { type: 'boolean', default: false },
    stage: { type: 'string', default: 'base' },
    from: { type: 'string', default: 'models/base-en' },
    'init-from': { type: 'string' },
    'sft-steps': { type: 'string', default: '300' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(
    'Usage: node dist/scripts/train-base.js --run-dir DIR [--out DIR (card: models/base-en; end of training: RUN-DIR/base-en)] [--steps 2400] [--vocab-size 2048] [--d-model 160] [--layers 4] [--heads 5] [--context 128] [--batch-size 16] [--lr 2e-3] [--save-steps 25] [--eval-steps 200] [--seed 0] [--backend wasm] [--bench STEPS] [--limit-docs N] [--card-only] [--stage base|review-sft] [--from models/base-en] [--sft-steps 300] [--init-from MODEL-DIR (continue pretraining a saved base: its tokenizer, size and weights)]',
  );
  process.exit(0);
}

const log = (message: string): void => console.error(`[${new Date().toISOString()}] ${message}`);
const runDir = values['run-dir'];
const backend = await selectBackend({ backend: values.backend as BackendRequest });
log(`backend ${backend.name}; run folder ${runDir}`);

const saved = await readRunConfig(runDir);
const bench = values.bench === undefined ? undefined : Number(values.bench);
const steps = Number(values.steps);
const initFrom =
  saved === undefined && values['init-from'] !== undefined ? await readInitFrom(values['init-from']) : undefined;
const config: BaseRunConfig = saved ?? {
  version: 1,
  seed: Number(values.seed),
  heldOutFraction: 0.03,
  maxPassageChars: 1200,
  evalCharsPerSource: 12_000,
  vocabSize: Number(values['vocab-size']),
  model: initFrom?.model ?? {
    contextLength: Number(values.context),
    dModel: Number(values['d-model']),
    nLayer: Number(values.layers),
    nHead: Number(values.heads),
    seed: Number(values.seed),
  },
  ...(initFrom === undefined ? {} : { initFrom: initFrom.from }),
  training: {
    totalSteps: steps,
    learningRate: Number(values.lr),
    lrSchedule: 'cosine',
    warmupSteps: Math.min(100, Math.ceil(steps / 20)),
    weightDecay: 0.1,
    maxGradNorm: 1,
    adamBeta2: 0.99,
    perDeviceTrainBatchSize: Number(values['batch-size']),
    perDeviceEvalBatchSize: 16,
    // A continuation keeps the split seed (same held-out documents) but draws a new batch order.
    seed: Number(values.seed) + (initFrom === undefined ? 0 : 1),
    loggingSteps: 5,
    saveSteps: Number(values['save-steps']),
    saveTotalLimit: 3,
    evalSteps: Number(values['eval-steps']),
    packing: true,
  },
};
if (saved !== undefined) log(`resuming the run configured in ${join(runDir, 'run.json')} (size flags ignored)`);

const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    log(`${signal}: stopping after this step (with a checkpoint)`);
    controller.abort();
  });
}

if (values.stage === 'review-sft') {
  const { runReviewSFT } = await import('./review-sft-stage.js');
  await runReviewSFT({
    runDir,
    from: values.from,
    out: values.out ?? 'models/base-en-reviews',
    steps: Number(values['sft-steps']),
    seed: config.seed,
    log,
    signal: controller.signal,
  });
  process.exit(0);
}
if (values.stage !== 'base') throw new Error(`--stage must be base or review-sft: got ${values.stage}`);

if (values['card-only']) {
  const { writeBaseCard } = await import('./base-card.js');
  await writeBaseCard({ runDir, out: values.out ?? 'models/base-en', config, log });
  process.exit(0);
}

const started = performance.now();
let documents = await loadBaseCorpus();
if (values['limit-docs'] !== undefined)
  documents = documents.filter((_, i) => i % Math.ceil(documents.length / Number(values['limit-docs'])) === 0);
const { train, heldOut } = splitByDocument(documents, config.heldOutFraction, config.seed);
log(
  `corpus: ${documents.length} documents (${JSON.stringify(corpusStatistics(documents))}); ${train.length} train, ${heldOut.length} held out`,
);

const passages = (docs: readonly CorpusDocument[]): string[] =>
  docs.flatMap((doc) => toPassages(doc.text, config.maxPassageChars));
const trainPassages = passages(train);
const evalPassages = evalSubset(heldOut, config);

const tokenizer = await trainOrLoadTokenizer(trainPassages);
const model = new GPT({ ...config.model, vocabSize: tokenizer.vocabSize });
log(`GPT ${JSON.stringify(model.config)}: ${model.numParameters()} parameters`);
if (config.initFrom !== undefined) {
  // The starting point; on a resume the newest checkpoint's weights replace these.
  await loadGPTWeights(model, config.initFrom.dir);
  log(
    `initialised from ${config.initFrom.dir} (${config.initFrom.steps} steps, ${config.initFrom.tokensSeen} tokens before)`,
  );
}

const trainer = await SFTTrainer.create({
  model,
  tokenizer,
  trainDataset: trainPassages.map((text) => ({ text })),
  evalDataset: evalPassages.map((text) => ({ text })),
  config:
    bench === undefined
      ? config.training
      : { ...config.training, totalSteps: bench, warmupSteps: 0, evalSteps: undefined, loggingSteps: 1 },
});
const tokensPerEpoch = trainer.trainRows.length * trainer.config.maxLength;
log(
  `${trainer.trainRows.length} training windows of ${trainer.config.maxLength} tokens (${tokensPerEpoch} tokens/epoch), ${trainer.evalRows.length} eval windows; setup ${((performance.now() - started) / 1000).toFixed(1)} s`,
);

if (bench !== undefined) {
  const stepTimes: number[] = [];
  let last = performance.now();
  await trainer.train({
    onLog: ({ split }) => {
      if (split !== 'train') return;
      const now = performance.now();
      stepTimes.push(now - last);
      last = now;
    },
  });
  const timed = stepTimes.slice(1); // the first step includes kernel warm-up
  const msPerStep = timed.reduce((a, b) => a + b, 0) / Math.max(1, timed.length);
  const tokensPerStep = trainer.config.perDeviceTrainBatchSize * trainer.config.maxLength;
  console.log(
    JSON.stringify({
      parameters: model.numParameters(),
      msPerStep: Math.round(msPerStep),
      tokensPerSecond: Math.round((tokensPerStep / msPerStep) * 1000),
      stepTimes: stepTimes.map(Math.round),
    }),
  );
  process.exit(0);
}

const wallBefore = await readWallTime(runDir);
const launchStarted = performance.now();
let lastStep = wallBefore.lastStep;
const recordWall = (): void =>
  writeWallTime(runDir, {
    seconds: wallBefore.seconds + (performance.now() - launchStarted) / 1000,
    launches: wallBefore.launches + 1,
    lastStep,
  });
const result = await trainer.train({
  checkpoint: { dir: join(runDir, CHECKPOINT_DIR), resume: 'auto' },
  signal: controller.signal,
  progress: {
    everySteps: 5,
    metrics: ['loss', 'mean_token_accuracy', 'grad_norm', 'learning_rate', 'num_tokens', 'train_tokens_per_second'],
    jsonlPath: join(runDir, PROGRESS_FILE),
  },
  onLog: (entry) => {
    if (entry.split !== 'train') return;
    lastStep = entry.step;
    if (entry.step % 5 === 0) recordWall();
  },
});
recordWall();
log(
  `stopped at step ${lastStep}${controller.signal.aborted ? ' (signal)' : ''}; ${result.evalHistory.length} evaluations`,
);
if (!controller.signal.aborted) {
  const { writeBaseCard } = await import('./base-card.js');
  await writeBaseCard({ runDir, out: values.out ?? join(runDir, 'base-en'), config, log });
}
trainer.dispose();
model.dispose();

/** The tokenizer saved in the run folder, or a new one trained on the training passages. */
async function trainOrLoadTokenizer(texts: readonly string[]): Promise<Tokenizer> {
  const path = join(runDir, TOKENIZER_FILE);
  if (saved !== undefined) return loadTokenizer(path);
  if (config.initFrom !== undefined) {
    const tokenizer = await loadTokenizer(join(config.initFrom.dir, 'tokenizer.json'));
    await mkdir(runDir, { recursive: true });
    await saveTokenizer(path, tokenizer);
    await writeRunConfig(runDir, config);
    return tokenizer;
  }
  const begun = performance.now();
  const tokenizer = ByteBPETokenizer.train(texts, { vocabSize: config.vocabSize });
  log(`BPE tokenizer: ${tokenizer.vocabSize} tokens in ${((performance.now() - begun) / 1000).toFixed(1)} s`);
  if (bench === undefined) {
    await mkdir(runDir, { recursive: true });
    await saveTokenizer(path, tokenizer);
    await writeRunConfig(runDir, config);
  }
  return tokenizer;
}

/** The first `evalCharsPerSource` characters of held-out passages from each source. */
function evalSubset(docs: readonly CorpusDocument[], run: BaseRunConfig): string[] {
  const chosen: string[] = [];
  for (const source of ['brown', 'sotu', 'moby-dick'] as const) {
    let chars = 0;
    for (const passage of passages(docs.filter((doc) => doc.source === source))) {
      if (chars >= run.evalCharsPerSource) break;
      chosen.push(passage);
      chars += passage.length;
    }
  }
  return chosen;
}

/** The saved base a continuation starts from: its size (from `card.json`) and what it had seen. */
async function readInitFrom(
  dir: string,
): Promise<{ model: BaseRunConfig['model']; from: NonNullable<BaseRunConfig['initFrom']> }> {
  const card = JSON.parse(await readFile(join(dir, 'card.json'), 'utf8')) as BaseModelCard;
  const { vocabSize: _vocabSize, ...model } = card.model as Record<string, unknown>;
  const before = card.continuedFrom as NonNullable<BaseRunConfig['initFrom']> | undefined;
  const training = card.training as BaseRunConfig['training'];
  const stages: BaseTrainingStage[] = [
    ...(before?.stages ?? []),
    {
      steps: card.steps,
      learningRate: training.learningRate ?? Number.NaN,
      warmupSteps: training.warmupSteps ?? 0,
      seed: training.seed ?? 0,
      heldOutLoss: card.heldOut.lossPerToken,
    },
  ];
  return {
    model: model as BaseRunConfig['model'],
    from: {
      dir,
      steps: card.steps + (before?.steps ?? 0),
      tokensSeen: card.tokensSeen,
      wallTimeSeconds: card.wallTimeSeconds,
      stages,
    },
  };
}
