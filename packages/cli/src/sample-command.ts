import { isAbsolute, resolve } from 'node:path';
import { InvalidArgumentError } from '@dpo-ts/core';
import { Rng } from '@dpo-ts/core/training';
import { loadPromptJsonl } from '@dpo-ts/core/data';
import { readSavedModelManifest } from '@dpo-ts/core/io';
import {
  ddimSample,
  DiffusionDPOTrainer,
  loadTextToImageTrainedModel,
  sampleCaptionImages,
  TEXT_TO_IMAGE_MODALITY,
  writeImageGrid,
} from '@dpo-ts/diffusion';
import { DPOTrainer, sampleCompletions } from '@dpo-ts/lm';
import type { CliIO } from './cli-io.js';
import { displayPath } from './train-run.js';

/** `dpo-ts sample` options, as parsed from the command line. */
export interface SampleCommandOptions {
  /** A directory a trainer's `save(dir)` wrote. */
  readonly model: string;
  /** lm: prompts to complete. */
  readonly prompt: readonly string[];
  /** lm: a `{"prompt": ...}` JSONL file of prompts. */
  readonly prompts?: string;
  /** Samples per prompt (lm) or per label (diffusion). */
  readonly n: number;
  /** lm: tokens to generate at most. */
  readonly maxNewTokens: number;
  /** lm: the sampling temperature, >= 0 (0: greedy); `--temperature`. @defaultValue 1 */
  readonly temperature: number;
  /** lm: keep the k most likely tokens (0: all). */
  readonly topK: number;
  /** The sampling generator's seed, an integer (>= 0 for text-to-image): the same seed gives the same samples; `--seed`. @defaultValue 0 */
  readonly seed: number;
  /** diffusion: class labels to draw (default: every class). */
  readonly label: readonly number[];
  /** text-to-image: captions to draw, one grid row each. */
  readonly caption: readonly string[];
  /** diffusion: the PNG grid to write. */
  readonly out: string;
  /** diffusion: DDIM steps. */
  readonly steps: number;
  /** diffusion: classifier-free guidance scale. @defaultValue 1 for class labels, 3 for captions */
  readonly guidanceScale?: number;
}

function requireNumber(name: string, value: number, check: (v: number) => boolean, expected: string): void {
  if (!check(value)) throw new InvalidArgumentError(name, expected, value);
}

/**
 * `dpo-ts sample --model DIR --caption "red apple"` for a text-to-image model (diffusion's
 * `saveTextToImageTrainedModel`): a PNG grid of DDIM samples with classifier-free guidance,
 * decoded by the model's autoencoder, one row per caption, `--n` per row.
 */
async function sampleFromCaptions(dir: string, options: SampleCommandOptions, io: CliIO, out: string): Promise<void> {
  if (options.caption.length === 0)
    throw new InvalidArgumentError('--caption', 'at least one caption for a text-to-image model', 0);
  if (options.label.length > 0)
    throw new InvalidArgumentError('--label', 'absent for a text-to-image model (use --caption)', options.label[0]);
  requireNumber('--steps', options.steps, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  const guidanceScale = options.guidanceScale ?? 3;
  requireNumber('--guidance-scale', guidanceScale, Number.isFinite, 'a finite number');
  requireNumber('--seed', options.seed, (v) => Number.isInteger(v) && v >= 0, 'an integer >= 0');
  const model = await loadTextToImageTrainedModel(dir);
  try {
    const captions = options.caption.flatMap((caption) => Array.from({ length: options.n }, () => caption));
    const data = await sampleCaptionImages(model, model.autoencoder, model.schedule, captions, {
      seed: options.seed,
      numSteps: options.steps,
      guidanceScale,
    });
    const [h, w, c] = model.autoencoder.autoencoder.config.imageShape;
    await writeImageGrid(out, { data, shape: [captions.length, h, w, c] }, { columns: options.n, scale: 2 });
    io.stdout.write(
      `wrote ${displayPath(out, io.cwd ?? process.cwd())}: ${captions.length} samples (${h}x${w}), one row per caption (${options.caption.map((caption) => JSON.stringify(caption)).join(', ')}), ${options.n} per row\n`,
    );
  } finally {
    model.encoder.dispose();
    model.denoiser.dispose();
    model.autoencoder.autoencoder.dispose();
  }
}

/**
 * `dpo-ts sample --model DIR`: reads `trainer.json` to tell the modality, then prints
 * completions of the prompts (a language model: one line per sample, prompt and completion
 * separated by " → "), writes a PNG grid of DDIM samples, one row per label (a denoiser), or one
 * row per `--caption` (a text-to-image model).
 * @throws InvalidArgumentError naming the option for a bad value, or `--model` for a folder that
 *   is not a saved model.
 */
export async function sampleCommand(options: SampleCommandOptions, io: CliIO): Promise<void> {
  const cwd = io.cwd ?? process.cwd();
  const at = (path: string): string => (isAbsolute(path) ? path : resolve(cwd, path));
  const dir = at(options.model);
  requireNumber('--n', options.n, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  requireNumber('--seed', options.seed, Number.isInteger, 'an integer');
  requireNumber('--temperature', options.temperature, (v) => Number.isFinite(v) && v >= 0, 'a number >= 0');
  const manifest = await readSavedModelManifest(dir);
  if (manifest.modality === 'lm') {
    requireNumber('--max-new-tokens', options.maxNewTokens, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
    requireNumber('--top-k', options.topK, (v) => Number.isInteger(v) && v >= 0, 'an integer >= 0');
    const fromFile =
      options.prompts === undefined ? [] : (await loadPromptJsonl(at(options.prompts))).map((r) => r.prompt);
    const prompts = [...options.prompt, ...fromFile];
    if (prompts.length === 0)
      throw new InvalidArgumentError('--prompt', 'at least one prompt (or --prompts file.jsonl)', 0);
    const { model, tokenizer } = await DPOTrainer.load(dir);
    try {
      const repeated = prompts.flatMap((prompt) => Array.from({ length: options.n }, () => prompt));
      const samples = await sampleCompletions(model, tokenizer, repeated, {
        seed: options.seed,
        maxNewTokens: options.maxNewTokens,
        temperature: options.temperature,
        ...(options.topK > 0 ? { topK: options.topK } : {}),
      });
      for (const sample of samples) io.stdout.write(`${sample.prompt} → ${sample.completion}\n`);
    } finally {
      model.dispose();
    }
    return;
  }
  if (manifest.modality === TEXT_TO_IMAGE_MODALITY) return sampleFromCaptions(dir, options, io, at(options.out));
  if (manifest.modality === 'diffusion') {
    if (options.caption.length > 0)
      throw new InvalidArgumentError(
        '--caption',
        "absent for a class-conditional denoiser (use --label); captions need a text-to-image model (diffusion's saveTextToImageTrainedModel)",
        options.caption[0],
      );
    requireNumber('--steps', options.steps, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
    const guidanceScale = options.guidanceScale ?? 1;
    requireNumber('--guidance-scale', guidanceScale, Number.isFinite, 'a finite number');
    const { model, schedule } = await DiffusionDPOTrainer.load(dir);
    try {
      const labels = options.label.length > 0 ? options.label : Array.from({ length: model.numClasses }, (_, i) => i);
      for (const label of labels)
        requireNumber(
          '--label',
          label,
          (v) => Number.isInteger(v) && v >= 0 && v < model.numClasses,
          `an integer in [0, ${model.numClasses})`,
        );
      const batch = labels.flatMap((label) => Array.from({ length: options.n }, () => label));
      const { images } = ddimSample(model, schedule, {
        labels: batch,
        rng: new Rng(options.seed),
        numSteps: options.steps,
        guidanceScale,
      });
      const out = at(options.out);
      try {
        await writeImageGrid(out, images, { columns: options.n, scale: 2 });
      } finally {
        images.dispose();
      }
      const [h, w] = model.imageShape;
      io.stdout.write(
        `wrote ${displayPath(out, cwd)}: ${batch.length} samples (${h}x${w}), one row per label (${labels.join(', ')}), ${options.n} per row\n`,
      );
    } finally {
      model.dispose();
    }
    return;
  }
  throw new InvalidArgumentError(
    '--model',
    'a saved language model, denoiser or text-to-image model',
    options.model,
    `a ${manifest.modality} model written by the ${manifest.kind} trainer cannot be sampled`,
  );
}
