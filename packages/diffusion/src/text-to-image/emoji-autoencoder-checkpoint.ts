import { fileURLToPath } from 'node:url';

/**
 * Absolute path of the emoji latent autoencoder shipped with the package
 * (`checkpoints/emoji-autoencoder`), the one the committed text-to-image base was trained on: the
 * default `LatentAutoencoder` (32x32x3 -> 8x8x4, 416,203 weights, scaling factor 1.087), trained
 * for 600 steps of 32 on the emoji training split by `scripts/train-emoji-autoencoder.ts`, then
 * 800 steps with the scale-equivariance loss (`--se-weight 0.5`); held-out L1 0.056, PSNR
 * 25.6 dB. Load it with `loadLatentAutoencoder(EMOJI_AUTOENCODER_CHECKPOINT)`; see
 * `checkpoints/README.md`. Trained on Twemoji (CC-BY 4.0) and Noto Emoji (Apache-2.0) artwork:
 * keep the NOTICE attributions.
 */
export const EMOJI_AUTOENCODER_CHECKPOINT: string = fileURLToPath(
  new URL('../../checkpoints/emoji-autoencoder', import.meta.url),
);
