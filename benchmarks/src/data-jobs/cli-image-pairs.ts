// Heavy modules (tfjs, the model packages, BullMQ) are imported by the action only, as in
// cli-data-jobs.ts, so the CLI starts fast for every other command.
import { readFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { type CommonOptions, common, parseCount, parseSeed, runOptions } from './cli-data-jobs.js';
import type { ImageLabelerSpec } from './image-labelers.js';

/** The built-in caption lists of `--captions`: the canonical emoji split's distinct captions, in dataset order. */
export const BUILTIN_CAPTIONS = ['emoji-train', 'emoji-held-out'] as const;

/**
 * `clip`, `style` (the committed labelers), `clip:<dir>`, `style:<dir>` (another checkpoint), or a
 * reward's name (`brightness`, `jpeg-compressibility`, `jpeg-incompressibility`; the job checks it).
 */
export function parseImageLabeler(value: string): ImageLabelerSpec {
  for (const kind of ['clip', 'style'] as const) {
    if (value === kind) return { kind };
    if (value.startsWith(`${kind}:`)) {
      const dir = value.slice(kind.length + 1);
      if (dir.length === 0) throw new InvalidArgumentError(`${kind}:<dir> with a directory: got ${value}`);
      return { kind, dir };
    }
  }
  if (value.length === 0) throw new InvalidArgumentError('clip, style, clip:<dir>, style:<dir> or a reward name');
  return { kind: 'reward', name: value };
}

function parsePositive(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) throw new InvalidArgumentError(`a number >= 0: got ${value}`);
  return number;
}

/** The options of `dpo-ts jobs image-pairs`. */
interface ImagePairsCommandOptions extends CommonOptions {
  readonly model: string;
  readonly captions: string;
  readonly count?: number;
  readonly labeler: ImageLabelerSpec;
  readonly out: string;
  readonly seed: number;
  readonly steps?: number;
  readonly eta?: number;
  readonly guidanceScale?: number;
  readonly batchSize?: number;
  readonly tieMargin?: number;
  readonly images: 'files' | 'data-url';
}

/** The captions of `--captions`: a built-in list ({@link BUILTIN_CAPTIONS}) or a file, one per line. */
async function readCaptions(source: string): Promise<string[]> {
  if ((BUILTIN_CAPTIONS as readonly string[]).includes(source)) {
    const { loadEmojiDataset, splitEmojiDataset } = await import('@dpo-ts/diffusion');
    // The text-to-image benchmark's split (its context.ts).
    const split = splitEmojiDataset(await loadEmojiDataset(), { heldOutFraction: 0.1, seed: 0 });
    const entries = source === 'emoji-train' ? split.train.entries : split.heldOut.entries;
    return [...new Set(entries.map((entry) => entry.caption))];
  }
  return (await readFile(source, 'utf8')).split('\n').filter((line) => line.trim().length > 0);
}

/**
 * Adds `dpo-ts jobs image-pairs` to the `jobs` command: Pick-a-Pic-style pairs from a
 * text-to-image model, labelled by an image labeler, sharded in-process or on `--queue`.
 */
export function addImagePairsCommand(jobs: Command, print: (line: string) => void): void {
  common(
    jobs
      .command('image-pairs')
      .description('sample two images per caption from a text-to-image model and label each pair (Pick-a-Pic JSONL)')
      .requiredOption(
        '--model <dir>',
        'a saved text-to-image model (saveTextToImageTrainedModel), or emoji-base for the committed base',
      )
      .requiredOption('--captions <source>', `a file (one caption per line), or ${BUILTIN_CAPTIONS.join(' or ')}`)
      .option('--count <n>', 'use the first n captions', parseCount)
      .requiredOption(
        '--labeler <name>',
        'clip, style, clip:<dir>, style:<dir>, brightness, jpeg-compressibility or jpeg-incompressibility',
        parseImageLabeler,
      )
      .requiredOption('--out <file>', 'the pairs, Pick-a-Pic-style JSONL (images beside it in images/)')
      .option('--seed <n>', 'noise seed', parseSeed, 0)
      .option('--steps <n>', 'DDIM steps (default: the text-to-image benchmark full mode)', parseCount)
      .option('--eta <x>', 'DDIM eta (default: the benchmark)', parsePositive)
      .option('--guidance-scale <x>', 'classifier-free guidance scale (default: the benchmark)', parsePositive)
      .option('--batch-size <n>', 'images per sampler call; 2 x shard size must be a multiple', parseCount)
      .option('--tie-margin <p>', 'a tie when |P(image 0 wins) - 1/2| is below this (default 0.05)', parsePositive)
      .addOption(
        new Option('--images <mode>', 'PNG files beside the JSONL, or inline data URLs')
          .choices(['files', 'data-url'])
          .default('files'),
      ),
  ).action(async (options: ImagePairsCommandOptions) => {
    const { writeCaptionPreferenceJsonl } = await import('@dpo-ts/diffusion');
    const { sampleLabeledImagePairs } = await import('./diffusion-pairs-jobs.js');
    const { samplerOf } = await import('../text-to-image/evaluate-model.js');
    const { T2I_SETTINGS } = await import('../text-to-image/settings.js');
    const benchmark = samplerOf(T2I_SETTINGS.full);
    const captions = await readCaptions(options.captions);
    const { records, imageShape } = await sampleLabeledImagePairs({
      ...(await runOptions(options, print)),
      model: options.model,
      captions: options.count === undefined ? captions : captions.slice(0, options.count),
      seed: options.seed,
      sampler: {
        numSteps: options.steps ?? benchmark.numSteps,
        eta: options.eta ?? benchmark.eta,
        guidanceScale: options.guidanceScale ?? benchmark.guidanceScale,
        batchSize: options.batchSize ?? benchmark.batchSize,
      },
      labeler: options.labeler,
      ...(options.tieMargin === undefined ? {} : { tieMargin: options.tieMargin }),
      backend: options.backend,
      shardSize: options.shardSize,
    });
    await writeCaptionPreferenceJsonl(options.out, records, imageShape, { images: options.images });
    const count = (label: number) => records.filter((record) => record.label0 === label).length;
    print(
      `image pairs: ${records.length} pairs (image 0 preferred ${count(1)}, image 1 preferred ${count(0)}, ties ${count(0.5)}) -> ${options.out}`,
    );
  });
}
