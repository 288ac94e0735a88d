import {
  jpegCompressibilityReward,
  jpegIncompressibilityReward,
  toHostImage,
  type ImageReward,
} from '@dpo-ts/diffusion';
import { afinnSentiment } from '@dpo-ts/lm';
import type { RewardFunction } from '@dpo-ts/rlhf';

/**
 * The rewards of completions a run config can name (`"reward": { "function": "sentiment" }`), for
 * `dpo-ts train ppo|rloo|grpo|online-dpo` without a trained reward model:
 * - `sentiment`: lm's `afinnSentiment(completion).score`, the AFINN-165 lexicon valence (the
 *   labelling function of lm's sentiment examples);
 * - `sentiment-comparative`: the same per word (`comparative`), so length earns nothing;
 * - `vowels`: the number of vowels (a, e, i, o, u) in the completion, a toy reward that even a
 *   character-level model just initialised can raise within a few steps.
 */
export const LM_REWARD_FUNCTIONS: Readonly<Record<string, RewardFunction>> = Object.freeze({
  sentiment: (_prompt: string, completion: string) => afinnSentiment(completion).score,
  'sentiment-comparative': (_prompt: string, completion: string) => afinnSentiment(completion).comparative,
  vowels: (_prompt: string, completion: string) => (completion.match(/[aeiou]/gi) ?? []).length,
});

/**
 * The image rewards a run config can name for `dpo-ts train ddpo` (diffusion's `rewards/`):
 * - `jpeg-compressibility`: minus the JPEG size in kB at quality 95 (DDPO's compressibility task);
 * - `jpeg-incompressibility`: the JPEG size in kB (DDPO's incompressibility task);
 * - `brightness`: the mean pixel value in [-1, 1], a toy reward that moves within a few steps.
 * @see Black et al. 2023, Sec. 6.1 (the JPEG tasks).
 */
export const IMAGE_REWARD_FUNCTIONS: Readonly<Record<string, ImageReward>> = Object.freeze({
  'jpeg-compressibility': jpegCompressibilityReward,
  'jpeg-incompressibility': jpegIncompressibilityReward,
  brightness: (image) => {
    const { data } = toHostImage(image);
    return data.reduce((sum, value) => sum + value, 0) / data.length;
  },
});
