/**
 * The `--split-hash` option the emoji scripts share: which ranking hash `splitEmojiDataset`
 * uses for the canonical split (10% of the emoji held out, seed 0). `mixed` (the default) is a
 * uniform draw of emoji, the split the committed emoji models are trained on; `fnv1a` is the
 * earlier split, which held out runs of neighbouring code points (see `EmojiSplitHash`), for the
 * models in git history before 2026-12-04. A model must be evaluated on the split it was
 * trained on.
 */
import { InvalidArgumentError } from '@dpo-ts/core';
import { resolveEmojiSplitOptions, type EmojiSplitOptions } from '@dpo-ts/diffusion';

/** `--split-hash fnv1a|mixed`, for `parseArgs`. */
export const EMOJI_SPLIT_OPTION = {
  'split-hash': { type: 'string', default: 'mixed' },
} as const;

/** The canonical split's options (`resolveEmojiSplitOptions`' defaults) with `--split-hash`'s hash; names the flag when it is neither. */
export function emojiSplitOptions(hash: string): Required<EmojiSplitOptions> {
  if (hash !== 'fnv1a' && hash !== 'mixed') throw new InvalidArgumentError('--split-hash', "'fnv1a' or 'mixed'", hash);
  return resolveEmojiSplitOptions({ hash });
}
