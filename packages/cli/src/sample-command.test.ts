import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectNoLeak } from '@dpo-ts/core/testing';
import {
  CaptionEncoder,
  CaptionTokenizer,
  LatentAutoencoder,
  LatentTextDenoiser,
  NoiseSchedule,
  saveTextToImageTrainedModel,
} from '@dpo-ts/diffusion';
import { describe, expect, it } from 'vitest';
import { runCli as run } from './run-cli.test-helper.js';

describe('dpo-ts sample --caption', () => {
  it('draws a PNG grid from a saved text-to-image model, one row per caption; the same seed gives the same file', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'dpo-ts-cli-t2i-'));
    const tokenizer = CaptionTokenizer.fromCaptions(['red apple', 'blue heart']);
    const encoder = new CaptionEncoder({ vocabSize: tokenizer.vocabSize, maxLength: 4, dim: 8, layers: 1, heads: 2 });
    const denoiser = new LatentTextDenoiser({ latentShape: [2, 2, 2], textDim: 8, channels: 8, blocks: 1, groups: 4 });
    const autoencoder = new LatentAutoencoder({
      imageShape: [4, 4, 3],
      channels: [4, 4],
      latentChannels: 2,
      groups: 2,
    });
    await saveTextToImageTrainedModel(join(cwd, 'model'), {
      kind: 'text-to-image',
      model: { tokenizer, encoder, denoiser },
      autoencoder: { autoencoder, scalingFactor: 1 },
      schedule: new NoiseSchedule({ numTimesteps: 50 }),
    });
    for (const network of [encoder, denoiser, autoencoder]) network.dispose();
    const argv = ['sample', '--model', 'model', '--caption', 'red apple', '--caption', 'blue heart', '--n', '3'];
    const sampled = await expectNoLeak(() => run([...argv, '--steps', '2', '--out', 'a.png', '--backend', 'cpu'], cwd));
    expect(sampled.stderr).not.toContain('dpo-ts:');
    expect(sampled.code).toBe(0);
    expect(sampled.stdout).toBe(
      'wrote a.png: 6 samples (4x4), one row per caption ("red apple", "blue heart"), 3 per row\n',
    );
    const png = await readFile(join(cwd, 'a.png'));
    // 3 columns of 4 pixels shown at scale 2, with 4 paddings of 2 pixels: width 3 * 8 + 4 * 2.
    expect(png.readUInt32BE(16)).toBe(3 * 8 + 4 * 2);
    await run([...argv, '--steps', '2', '--out', 'b.png'], cwd);
    expect(await readFile(join(cwd, 'b.png'))).toEqual(png);
    const noCaption = await run(['sample', '--model', 'model'], cwd);
    expect(noCaption.stderr).toContain('dpo-ts: --caption must be at least one caption for a text-to-image model');
    const label = await run([...argv, '--label', '3'], cwd);
    expect(label.stderr).toContain('dpo-ts: --label must be absent for a text-to-image model (use --caption)');
  });
});
