import * as path from 'node:path';
import { InvalidArgumentError } from '@dpo-ts/core';
import { IMAGE_REWARD_FUNCTIONS } from '@dpo-ts/cli';
import {
  clipLabeler,
  loadEmojiCLIP,
  loadStyleClassifier,
  rewardImages,
  styleLabeler,
  type ImageLabeler,
} from '@dpo-ts/diffusion';
import { FEEDBACK_CHECKPOINTS } from '../text-to-image/context.js';
import { PayloadFields } from './payload-fields.js';

/**
 * Which labeler judges sampled image pairs, as JSON a job can carry:
 * - `clip`: the text-to-image benchmark's AI-feedback labeler, an EmojiCLIP's scale x cos(image,
 *   caption) (PickScore's score); `dir` a `saveEmojiCLIP` directory, by default the committed
 *   `packages/diffusion/checkpoints/emoji-clip` (resolved on the worker);
 * - `style`: the benchmark's personal-taste labeler, a style classifier's logit; `dir` a
 *   `saveStyleClassifier` directory, by default the committed `emoji-style`;
 * - `reward`: one of DDPO's image rewards by its name in the CLI's `IMAGE_REWARD_FUNCTIONS`
 *   (`brightness`, `jpeg-compressibility`, `jpeg-incompressibility`); the caption is ignored.
 *
 * The CLIP and style scores are log-odds (their difference is the labeler's log-odds that image 0
 * wins, see diffusion's `ImageLabeler`); the rewards are not (brightness is a mean in [-1, 1],
 * the JPEG sizes are in kB), so a pair's tie margin should be chosen for their scale.
 */
export type ImageLabelerSpec =
  | { readonly kind: 'clip'; readonly dir?: string }
  | { readonly kind: 'style'; readonly dir?: string }
  | { readonly kind: 'reward'; readonly name: string };

/** Names of the image labeler kinds. */
export const IMAGE_LABELER_KINDS = ['clip', 'style', 'reward'] as const;

/** The committed labeler checkpoint of each model-backed kind, and the name written beside its labels (the benchmark's). */
const COMMITTED = { clip: 'emoji-clip', style: 'emoji-style' } as const;

/**
 * Checks an {@link ImageLabelerSpec} from a payload.
 * @throws InvalidArgumentError naming the bad field (`payload.labeler.kind`, `.dir`, `.name`).
 */
export function validateImageLabelerSpec(value: unknown, name = 'payload.labeler'): ImageLabelerSpec {
  const fields = new PayloadFields(value, name);
  const kind = fields.oneOf('kind', IMAGE_LABELER_KINDS);
  if (kind === 'reward') fields.oneOf('name', Object.keys(IMAGE_REWARD_FUNCTIONS));
  else if (fields.raw('dir') !== undefined) fields.string('dir');
  return value as ImageLabelerSpec;
}

/** A labeler opened on a worker, with what frees its network. */
export interface OpenedImageLabeler {
  /** Scores `[n, h, w, c]` images in [-1, 1] for their captions; its `name` goes beside each label. */
  readonly labeler: ImageLabeler;
  /** Frees the labeler's network; a no-op for the reward functions. */
  dispose(): void;
}

/** Opens the labeler of a spec (loads the CLIP or the classifier). The caller disposes it. */
export async function openImageLabeler(spec: ImageLabelerSpec): Promise<OpenedImageLabeler> {
  switch (spec.kind) {
    case 'clip': {
      const dir = spec.dir ?? path.join(FEEDBACK_CHECKPOINTS, COMMITTED.clip);
      const clip = await loadEmojiCLIP(dir);
      return { labeler: clipLabeler(clip, labelerName(spec.dir, COMMITTED.clip)), dispose: () => clip.clip.dispose() };
    }
    case 'style': {
      const dir = spec.dir ?? path.join(FEEDBACK_CHECKPOINTS, COMMITTED.style);
      const { classifier } = await loadStyleClassifier(dir);
      return {
        labeler: styleLabeler(classifier, labelerName(spec.dir, COMMITTED.style)),
        dispose: () => classifier.dispose(),
      };
    }
    case 'reward': {
      const reward = IMAGE_REWARD_FUNCTIONS[spec.name];
      if (reward === undefined)
        throw new InvalidArgumentError('labeler.name', Object.keys(IMAGE_REWARD_FUNCTIONS).join(' | '), spec.name);
      return {
        labeler: {
          name: spec.name,
          score: async (images) => rewardImages(reward, images, new Float32Array(images.shape[0])),
        },
        dispose: () => {},
      };
    }
    default:
      throw new InvalidArgumentError('labeler.kind', IMAGE_LABELER_KINDS.join(' | '), (spec as { kind: unknown }).kind);
  }
}

/** The committed checkpoint's name, or the directory's base name for another one. */
function labelerName(dir: string | undefined, committed: string): string {
  return dir === undefined ? committed : path.basename(path.resolve(dir));
}
