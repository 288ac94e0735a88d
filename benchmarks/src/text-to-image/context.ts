import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mixSeeds, Rng } from '@dpo-ts/core/training';
import {
  autoencoderFeatures,
  clipLabeler,
  loadEmojiCLIP,
  loadEmojiDataset,
  loadStyleClassifier,
  NoiseSchedule,
  requireTrainedOnEmojiSplit,
  splitEmojiDataset,
  styleLabeler,
  type EmojiSplit,
  type ImageLabeler,
  type StyleClassifier,
  type TokenizedCLIP,
} from '@dpo-ts/diffusion';
import {
  loadTextToImageBase,
  TEXT_TO_IMAGE_BASE_CHECKPOINT,
  TEXT_TO_IMAGE_BASE_MODEL,
  type TextToImageBase,
  textToImageBaseDirectory,
  textToImageBaseId,
} from './base-model.js';
import type { T2ILabeler } from './settings.js';

/** The committed labelers and oracles (`packages/diffusion/checkpoints`, see emoji-labelers.md). */
export const FEEDBACK_CHECKPOINTS: string = fileURLToPath(
  new URL('../../../packages/diffusion/checkpoints', import.meta.url),
);

/** Everything the cells of one process share: data, base, labelers, oracles, the real emoji's features. */
export interface T2IContext {
  readonly split: EmojiSplit;
  readonly base: TextToImageBase;
  /** The loaded base's id (`textToImageBaseId`): every cell's payload must carry the same. */
  readonly baseId: string;
  /** True when the base came from `DPO_TS_T2I_BASE` rather than the committed folders. */
  readonly baseOverridden: boolean;
  readonly schedule: NoiseSchedule;
  /** The labelers: the only source of labels (and DDPO's reward). */
  readonly labelers: Readonly<Record<T2ILabeler, ImageLabeler>>;
  /** The held-out alignment oracle (other data half, seed and width); never labels. */
  readonly clipOracle: TokenizedCLIP;
  /** The held-out style oracle; never labels. */
  readonly styleOracle: StyleClassifier;
  /** Distinct training captions, in dataset order. */
  readonly trainCaptions: readonly string[];
  /** Distinct held-out captions (emoji never seen by the base, labelers or oracles), in dataset order. */
  readonly heldOutCaptions: readonly string[];
  /**
   * The quality guard's features of every real held-out image (both vendors), `[n, featureDim]`:
   * the autoencoder's scaled latent means (diffusion's `autoencoderFeatures`), a space no labeler
   * or oracle shares (the autoencoder was trained on real emoji only, by reconstruction).
   */
  readonly realFeatures: Float32Array;
  readonly featureDim: number;
  /** Disposes every network above (the base, autoencoder, labelers, oracles). */
  dispose(): void;
}

let shared: Promise<T2IContext> | undefined;

/**
 * The process's {@link T2IContext}, loaded on first use and kept until
 * {@link releaseT2IContext}: it depends on nothing but the committed files, so every cell (in
 * process or in a queue worker) shares it.
 */
export function t2iContext(): Promise<T2IContext> {
  shared ??= loadContext();
  shared.catch(() => {
    shared = undefined;
  });
  return shared;
}

/** Disposes the process's {@link T2IContext} (if loaded) and forgets it; the next cell loads it again. */
export async function releaseT2IContext(): Promise<void> {
  const loaded = shared;
  shared = undefined;
  (await loaded?.catch(() => undefined))?.dispose();
}

async function loadContext(): Promise<T2IContext> {
  const split = splitEmojiDataset(await loadEmojiDataset(), { heldOutFraction: 0.1, seed: 0 });
  const directory = textToImageBaseDirectory();
  // A labeler trained on another split has seen held-out emoji (loadTextToImageBase checks the base).
  for (const name of ['emoji-clip', 'emoji-style', 'emoji-clip-oracle', 'emoji-style-oracle'])
    await requireTrainedOnEmojiSplit(path.join(FEEDBACK_CHECKPOINTS, name), split.options, `the labeler ${name}`);
  const baseId = textToImageBaseId(directory);
  const base = await loadTextToImageBase(split, directory);
  const clip = await loadEmojiCLIP(path.join(FEEDBACK_CHECKPOINTS, 'emoji-clip'));
  const { classifier: style } = await loadStyleClassifier(path.join(FEEDBACK_CHECKPOINTS, 'emoji-style'));
  const clipOracle = await loadEmojiCLIP(path.join(FEEDBACK_CHECKPOINTS, 'emoji-clip-oracle'));
  const { classifier: styleOracle } = await loadStyleClassifier(path.join(FEEDBACK_CHECKPOINTS, 'emoji-style-oracle'));
  const distinct = (captions: readonly string[]) => [...new Set(captions)];
  const { heldOut } = split;
  const realFeatures = await autoencoderFeatures(base.autoencoder, heldOut.images, heldOut.count);
  return {
    split,
    base,
    baseId,
    baseOverridden: directory !== TEXT_TO_IMAGE_BASE_MODEL && directory !== TEXT_TO_IMAGE_BASE_CHECKPOINT,
    schedule: new NoiseSchedule(),
    labelers: { clip: clipLabeler(clip, 'emoji-clip'), style: styleLabeler(style, 'emoji-style') },
    clipOracle,
    styleOracle,
    trainCaptions: distinct(split.train.entries.map((entry) => entry.caption)),
    heldOutCaptions: distinct(heldOut.entries.map((entry) => entry.caption)),
    realFeatures,
    featureDim: realFeatures.length / heldOut.count,
    dispose: () => {
      for (const network of [base.model.encoder, base.model.denoiser, base.autoencoder.autoencoder]) network.dispose();
      for (const network of [clip.clip, style, clipOracle.clip, styleOracle]) network.dispose();
    },
  };
}

/** The captions of one seed: distinct training captions for the pairs, validation and test captions from the held-out emoji. */
export interface SeedCaptions {
  readonly pairs: readonly string[];
  readonly validation: readonly string[];
  readonly test: readonly string[];
}

/** Draws `count` distinct items without replacement (partial Fisher-Yates with `rng`). */
function draw<T>(items: readonly T[], count: number, rng: Rng): T[] {
  const pool = [...items];
  const n = Math.min(count, pool.length);
  for (let k = 0; k < n; k++) {
    const pick = k + rng.int(pool.length - k);
    [pool[k], pool[pick]] = [pool[pick]!, pool[k]!];
  }
  return pool.slice(0, n);
}

/**
 * The seed's captions: `pairs` training captions, then disjoint validation and test captions
 * among the held-out ones; each seed draws its own (streams `mixSeeds(seed, 1)` and `(seed, 2)`).
 */
export function seedCaptions(
  context: Pick<T2IContext, 'trainCaptions' | 'heldOutCaptions'>,
  seed: number,
  sizes: { readonly pairs: number; readonly validationCaptions: number; readonly testCaptions: number },
): SeedCaptions {
  const pairs = draw(context.trainCaptions, sizes.pairs, new Rng(mixSeeds(seed, 1)));
  const heldOut = draw(
    context.heldOutCaptions,
    sizes.validationCaptions + sizes.testCaptions,
    new Rng(mixSeeds(seed, 2)),
  );
  return {
    pairs,
    validation: heldOut.slice(0, sizes.validationCaptions),
    test: heldOut.slice(sizes.validationCaptions),
  };
}
