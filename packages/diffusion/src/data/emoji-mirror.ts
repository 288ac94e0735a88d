import type { EmojiEntry } from './emoji-catalog.js';

/** Categories whose art a mirror image would change: flags (the hoist side, text) and symbols (letters, digits, arrows, signs). */
const MIRROR_UNSAFE_CATEGORIES: ReadonlySet<string> = new Set(['Flags', 'Symbols']);
/** Subcategories with a handedness the caption names: clock faces (`one o’clock`). */
const MIRROR_UNSAFE_SUBCATEGORIES: ReadonlySet<string> = new Set(['time']);
/** A caption word that names a side or a direction. */
const SIDE_WORD =
  /\b(left|right|leftwards|rightwards|left-facing|right-facing|clockwise|counterclockwise|anticlockwise)\b/i;

/**
 * Which emoji a horizontal flip leaves true to their caption, for flip augmentation (as in
 * the DDPM and latent-diffusion training recipes, which flip every image): one boolean per entry.
 * Not mirror-safe: flags and symbols (text, digits, arrows), clock faces, captions that name a
 * side (`leftwards hand`, `right anger bubble`), and an emoji whose mirror image has its own
 * emoji (`person walking`, whose flip is `person walking: facing right`).
 */
export function mirrorSafeEmoji(entries: readonly EmojiEntry[]): boolean[] {
  // Emoji 15.1's `person walking: facing right` (and `person walking: light skin tone, facing right`)
  // make `person walking` and its skin tones mirror twins.
  const twins = new Set(
    entries.filter((entry) => /facing right/.test(entry.caption)).map((entry) => captionHead(entry.caption)),
  );
  return entries.map((entry) => {
    if (MIRROR_UNSAFE_CATEGORIES.has(entry.category)) return false;
    if (MIRROR_UNSAFE_SUBCATEGORIES.has(entry.subcategory)) return false;
    if (SIDE_WORD.test(entry.caption)) return false;
    return !twins.has(captionHead(entry.caption));
  });
}

/** The caption before its qualifiers (`person walking: light skin tone, facing right` -> `person walking`). */
function captionHead(caption: string): string {
  const colon = caption.indexOf(':');
  return (colon < 0 ? caption : caption.slice(0, colon)).trim();
}
