import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  CaptionEncoder,
  CaptionTokenizer,
  LatentAutoencoder,
  LatentTextDenoiser,
  NoiseSchedule,
  saveTextToImageTrainedModel,
} from '@dpo-ts/diffusion';

/** The fixture's captions: one pair each. */
export const FIXTURE_CAPTIONS: readonly string[] = [
  'red apple',
  'green apple',
  'blue car',
  'red car',
  'green tree',
  'blue tree',
];

/** A tiny text-to-image model saved with `saveTextToImageTrainedModel`, in a temporary folder. */
export interface ImagePairsFixture {
  /** The temporary folder (the caller removes it). */
  readonly dir: string;
  /** The saved model's directory. */
  readonly modelDir: string;
}

/**
 * Saves a tiny, untrained text-to-image model (caption encoder of width 8, one FiLM block, a
 * 32 x 32 autoencoder with 8 x 8 x 4 latents, 30 timesteps): fast to sample on the cpu backend.
 * Creates no lasting tensors.
 */
export async function writeImagePairsFixture(): Promise<ImagePairsFixture> {
  const dir = await mkdtemp(path.join(tmpdir(), 'dpo-ts-image-pairs-'));
  const tokenizer = CaptionTokenizer.fromCaptions(FIXTURE_CAPTIONS);
  const encoder = new CaptionEncoder({
    vocabSize: tokenizer.vocabSize,
    maxLength: 3,
    dim: 8,
    layers: 1,
    heads: 2,
    seed: 0,
  });
  const denoiser = new LatentTextDenoiser({
    latentShape: [8, 8, 4],
    textDim: 8,
    channels: 8,
    blocks: 1,
    groups: 4,
    seed: 1,
  });
  const autoencoder = {
    autoencoder: new LatentAutoencoder({ channels: [8, 8, 8], groups: 4, seed: 2 }),
    scalingFactor: 0.9,
  };
  const modelDir = path.join(dir, 'model');
  try {
    await saveTextToImageTrainedModel(modelDir, {
      kind: 'text-to-image',
      model: { tokenizer, encoder, denoiser },
      autoencoder,
      schedule: new NoiseSchedule({ numTimesteps: 30 }),
    });
  } finally {
    for (const network of [encoder, denoiser, autoencoder.autoencoder]) network.dispose();
  }
  return { dir, modelDir };
}
