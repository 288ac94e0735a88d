import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { expectNoLeak } from '@dpo-ts/core/testing';
import {
  loadCaptionPreferenceJsonl,
  loadStyleClassifier,
  loadTextToImageTrainedModel,
  styleLabeler,
  writeCaptionPreferenceJsonl,
} from '@dpo-ts/diffusion';
import { JobKindRegistry } from '@dpo-ts/queue';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../cli.js';
import { useCpuBackend } from '../sentiment/test-backend.test-helper.js';
import { FEEDBACK_CHECKPOINTS } from '../text-to-image/context.js';
import { samplePairedImages } from '../text-to-image/sampler.js';
import { parseImageLabeler } from './cli-image-pairs.js';
import { diffusionPairsKind, validateDiffusionPairsPayload } from './diffusion-pairs-kind.js';
import { type ImagePairJobsOptions, sampleLabeledImagePairs } from './diffusion-pairs-jobs.js';
import { FIXTURE_CAPTIONS, type ImagePairsFixture, writeImagePairsFixture } from './image-pairs-fixture.test-helper.js';

// One caption's pair per sampler call: any shard size lines up.
const SAMPLER = { numSteps: 2, eta: 1, guidanceScale: 2, batchSize: 2 } as const;
const CAPTIONS = FIXTURE_CAPTIONS.slice(0, 3);
let fixture: ImagePairsFixture;
let options: ImagePairJobsOptions;

/** The 8-bit values the JSONL stores of [-1, 1] images (diffusion's toByte). */
const bytes = (values: Float32Array) =>
  Array.from(values, (v) => Math.min(255, Math.max(0, Math.round((v + 1) * 127.5))));

describe('pairs/diffusion: sharded image pair sampling and labelling', () => {
  beforeAll(async () => {
    await useCpuBackend();
    fixture = await writeImagePairsFixture();
    options = {
      model: fixture.modelDir,
      captions: CAPTIONS,
      seed: 5,
      sampler: SAMPLER,
      labeler: { kind: 'style' },
      backend: 'cpu',
      shardSize: 1,
      kinds: new JobKindRegistry([diffusionPairsKind]),
      codeVersion: 'test',
    };
  });
  afterAll(() => fs.rm(fixture.dir, { recursive: true, force: true }));

  it('writes the same JSONL from 1 shard as from 3, equal to one sampler run labelled by the style classifier', async () => {
    const jsonl = async (shardSize: number) => {
      const { records, imageShape } = await sampleLabeledImagePairs({ ...options, shardSize });
      const file = path.join(fixture.dir, `pairs-${shardSize}.jsonl`);
      await writeCaptionPreferenceJsonl(file, records, imageShape, { images: 'data-url' });
      return { records, text: await fs.readFile(file, 'utf8') };
    };
    let three: Awaited<ReturnType<typeof jsonl>> | undefined;
    await expectNoLeak(async () => {
      three = await jsonl(1);
    });
    const one = await jsonl(3);
    expect(three!.text).toBe(one.text);
    expect(three!.text.trim().split('\n')).toHaveLength(3);

    // Independently: one sampler call sequence over every caption doubled, the committed style
    // classifier's logits, and labelPairs' rule (P = sigmoid(s0 - s1), ties within 0.05).
    const model = await loadTextToImageTrainedModel(fixture.modelDir);
    const doubled = CAPTIONS.flatMap((caption) => [caption, caption]);
    const images = await samplePairedImages(model, model.autoencoder, model.schedule, doubled, 5, SAMPLER);
    const { classifier } = await loadStyleClassifier(path.join(FEEDBACK_CHECKPOINTS, 'emoji-style'));
    const batch = tf.tensor4d(images, [6, 32, 32, 3]);
    const scores = await styleLabeler(classifier).score(batch, doubled);
    batch.dispose();
    classifier.dispose();
    for (const network of [model.encoder, model.denoiser, model.autoencoder.autoencoder]) network.dispose();
    const size = 32 * 32 * 3;
    three!.records.forEach((record, i) => {
      expect(record.caption).toBe(CAPTIONS[i]);
      expect(record.extra).toMatchObject({ labeler: 'emoji-style' });
      expect(record.extra?.score_0).toBeCloseTo(scores[2 * i]!, 5);
      expect(record.extra?.score_1).toBeCloseTo(scores[2 * i + 1]!, 5);
      const p0 = 1 / (1 + Math.exp(scores[2 * i + 1]! - scores[2 * i]!));
      expect(record.label0).toBe(p0 >= 0.55 ? 1 : p0 <= 0.45 ? 0 : 0.5);
      expect(bytes(record.image0)).toEqual(bytes(images.subarray(2 * i * size, (2 * i + 1) * size)));
      expect(bytes(record.image1)).toEqual(bytes(images.subarray((2 * i + 1) * size, (2 * i + 2) * size)));
    });
  });

  it('refuses bad payloads naming the field, and shards that do not start a sampler call', async () => {
    const payload = { ...options, captions: ['red apple'], firstIndex: 0, sampler: { ...SAMPLER, batchSize: 4 } };
    expect(() => validateDiffusionPairsPayload({ ...payload, labeler: { kind: 'reward', name: 'sharpness' } })).toThrow(
      'payload.labeler.name must be one of "jpeg-compressibility", "jpeg-incompressibility", "brightness": got "sharpness"',
    );
    expect(() => validateDiffusionPairsPayload({ ...payload, labeler: { kind: 'human' } })).toThrow(
      'payload.labeler.kind must be one of "clip", "style", "reward": got "human"',
    );
    expect(() => validateDiffusionPairsPayload({ ...payload, sampler: { ...payload.sampler, numSteps: 0 } })).toThrow(
      'payload.sampler.numSteps must be an integer >= 1: got 0',
    );
    expect(() => validateDiffusionPairsPayload({ ...payload, captions: [] })).toThrow(
      'payload.captions must be a non-empty array of strings: got []',
    );
    expect(() => validateDiffusionPairsPayload({ ...payload, firstIndex: 1 })).toThrow(
      'payload.firstIndex must be an index whose first image (2 x firstIndex) starts a sampler call: 2 x firstIndex a multiple of sampler.batchSize 4: got 1',
    );
    await expect(
      sampleLabeledImagePairs({ ...options, sampler: { ...SAMPLER, batchSize: 4 }, shardSize: 3 }),
    ).rejects.toThrow(
      'options.shardSize must be a size whose images (2 x shardSize = 6) are a multiple of sampler.batchSize 4: got 3',
    );
  });

  it('dpo-ts jobs image-pairs writes Pick-a-Pic JSONL labelled by brightness, in caption order', async () => {
    expect(parseImageLabeler('clip')).toEqual({ kind: 'clip' });
    expect(parseImageLabeler('style:runs/style')).toEqual({ kind: 'style', dir: 'runs/style' });
    expect(parseImageLabeler('brightness')).toEqual({ kind: 'reward', name: 'brightness' });
    const captions = path.join(fixture.dir, 'captions.txt');
    await fs.writeFile(captions, `${FIXTURE_CAPTIONS.join('\n')}\n`);
    const out = path.join(fixture.dir, 'cli', 'pairs.jsonl');
    await fs.mkdir(path.dirname(out));
    const lines: string[] = [];
    const args = ['jobs', 'image-pairs', '--model', fixture.modelDir, '--captions', captions, '--count', '2'];
    const sampling = ['--labeler', 'brightness', '--steps', '2', '--eta', '1', '--guidance-scale', '2'];
    const rest = ['--batch-size', '2', '--shard-size', '1', '--seed', '5', '--backend', 'cpu', '--out', out];
    await buildProgram([], (line) => lines.push(line)).parseAsync(
      [...args, ...sampling, ...rest, '--results', path.join(fixture.dir, 'results')],
      { from: 'user' },
    );
    expect(lines.at(-1)).toMatch(/^image pairs: 2 pairs \(image 0 preferred \d, image 1 preferred \d, ties \d\) -> /);
    const records = await loadCaptionPreferenceJsonl(out);
    expect(records.map((record) => record.caption)).toEqual(CAPTIONS.slice(0, 2));
    const model = await loadTextToImageTrainedModel(fixture.modelDir);
    const doubled = CAPTIONS.slice(0, 2).flatMap((caption) => [caption, caption]);
    const images = await samplePairedImages(model, model.autoencoder, model.schedule, doubled, 5, SAMPLER);
    for (const network of [model.encoder, model.denoiser, model.autoencoder.autoencoder]) network.dispose();
    const mean = (i: number) => images.subarray(i * 3072, (i + 1) * 3072).reduce((a, b) => a + b, 0) / 3072;
    records.forEach((record, i) => {
      expect(record.extra).toMatchObject({ labeler: 'brightness' });
      expect(record.extra.score_0).toBeCloseTo(mean(2 * i), 5);
      expect(record.extra.score_1).toBeCloseTo(mean(2 * i + 1), 5);
    });
  });
});
