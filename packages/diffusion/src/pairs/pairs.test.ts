import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPreferenceJsonl } from '@dpo-ts/core/data';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { cloneDenoiser } from '../denoiser-checkpoint.js';
import { perturbWeights, randomPairs, tinyDenoiser, tinySchedule } from '../dpo/tiny-models.test-helper.js';
import type { ImageReward } from '../rewards/image-reward.js';
import {
  imagePreferenceSchema,
  loadImagePreferenceJsonl,
  writeImagePreferenceJsonl,
} from './image-preference-jsonl.js';
import { compareRewards } from './reward-comparison.js';
import { samplePreferencePairs } from './sample-preference-pairs.js';

const schedule = tinySchedule();
const model = tinyDenoiser(5);
afterAll(() => model.dispose());
/** Mean brightness: a simple, deterministic reward. */
const brightness: ImageReward = (image) => {
  const data = (image as { data: Float32Array }).data;
  return data.reduce((a, b) => a + b, 0) / data.length;
};

describe('samplePreferencePairs', () => {
  it('samples two images per condition, orders them by reward, and is reproducible', async () => {
    const conditions = [0, 1, 2, 0, 1, 2, 0];
    const sampled = await expectNoLeak(() =>
      samplePreferencePairs(model, schedule, { conditions, reward: brightness, seed: 3, numSteps: 5, batchSize: 3 }),
    );
    expect(sampled.pairs.count + sampled.skipped).toBe(7);
    for (let i = 0; i < sampled.pairs.count; i++) {
      const chosen = brightness(
        { data: sampled.pairs.chosen.subarray(i * 16, (i + 1) * 16), height: 4, width: 4, channels: 1 },
        0,
      );
      const rejected = brightness(
        { data: sampled.pairs.rejected.subarray(i * 16, (i + 1) * 16), height: 4, width: 4, channels: 1 },
        0,
      );
      expect(chosen).toBeCloseTo(sampled.chosenRewards[i]!, 6);
      expect(rejected).toBeCloseTo(sampled.rejectedRewards[i]!, 6);
      expect(chosen).toBeGreaterThan(rejected);
      expect(sampled.pairs.labels[i]).toBe(conditions[sampled.sourceIndices[i]!]);
    }
    const again = await samplePreferencePairs(model, schedule, {
      conditions,
      reward: brightness,
      seed: 3,
      numSteps: 5,
      batchSize: 3,
    });
    expect(Array.from(again.pairs.chosen)).toEqual(Array.from(sampled.pairs.chosen));
  });

  it('drops pairs whose reward gap is at most minRewardGap', async () => {
    const sampled = await samplePreferencePairs(model, schedule, {
      conditions: [0, 1, 2],
      reward: () => 1,
      seed: 1,
      numSteps: 2,
    });
    expect(sampled.pairs.count).toBe(0);
    expect(sampled.skipped).toBe(3);
    expect(sampled.meanReward).toBe(1);
  });
});

describe('image preference JSONL', () => {
  const dataset = randomPairs(3, 9);
  let dir = '';
  afterAll(async () => dir && rm(dir, { recursive: true, force: true }));

  it.each(['files', 'data-url'] as const)('round-trips pairs through %s (8-bit PNG precision)', async (images) => {
    dir ||= await mkdtemp(path.join(tmpdir(), 'image-pairs-'));
    const file = path.join(dir, `${images}.jsonl`);
    expect(
      await writeImagePreferenceJsonl(file, dataset, { images, numClasses: 3, extra: (i) => ({ score_chosen: i }) }),
    ).toBe(3);
    const loaded = await loadImagePreferenceJsonl(file, [4, 4, 1], 3);
    expect(Array.from(loaded.labels)).toEqual(Array.from(dataset.labels));
    for (let p = 0; p < dataset.chosen.length; p++) {
      expect(Math.abs(loaded.chosen[p]! - dataset.chosen[p]!)).toBeLessThanOrEqual(1 / 127.5 + 1e-6);
      expect(Math.abs(loaded.rejected[p]! - dataset.rejected[p]!)).toBeLessThanOrEqual(1 / 127.5 + 1e-6);
    }
    const records = await loadPreferenceJsonl(file, imagePreferenceSchema(3));
    expect(records[2]!.extra).toEqual({ score_chosen: 2 });
    if (images === 'files') {
      expect(JSON.parse((await readFile(file, 'utf8')).split('\n')[0]!)).toEqual({
        prompt: 0,
        chosen: 'images/000000-chosen.png',
        rejected: 'images/000000-rejected.png',
        score_chosen: 0,
      });
    }
  });

  it('rejects images of another size, naming file and line', async () => {
    dir ||= await mkdtemp(path.join(tmpdir(), 'image-pairs-'));
    const file = path.join(dir, 'size.jsonl');
    await writeImagePreferenceJsonl(file, dataset, { images: 'data-url' });
    await expect(loadImagePreferenceJsonl(file, [5, 5, 1])).rejects.toThrow(
      /size.jsonl:1: field "chosen": inline image: image is 4x4, expected 5x5/,
    );
  });

  it('names the JSONL line of a missing image, refuses a link to /dev/zero, and applies the limits', async () => {
    dir ||= await mkdtemp(path.join(tmpdir(), 'image-pairs-'));
    const file = path.join(dir, 'limits.jsonl');
    await writeImagePreferenceJsonl(file, dataset, { imageDir: 'limits' });
    await rm(path.join(dir, 'limits', '000001-rejected.png'));
    await expect(loadImagePreferenceJsonl(file, [4, 4, 1])).rejects.toThrow(
      /limits.jsonl:2: field "rejected": image .*000001-rejected.png: no such file$/,
    );
    await symlink('/dev/zero', path.join(dir, 'limits', '000001-rejected.png'));
    await expect(loadImagePreferenceJsonl(file, [4, 4, 1])).rejects.toThrow(
      /limits.jsonl:2: field "rejected": .*not a regular file \(a character device\)$/,
    );
    await rm(path.join(dir, 'limits', '000001-rejected.png'));
    await writeFile(
      path.join(dir, 'limits', '000001-rejected.png'),
      await readFile(path.join(dir, 'limits', '000001-chosen.png')),
    );
    expect(
      (await loadImagePreferenceJsonl(file, [4, 4, 1], { numClasses: 3, imageLimits: { confineToDirectory: true } }))
        .count,
    ).toBe(3);
    await expect(loadImagePreferenceJsonl(file, [4, 4, 1], { imageLimits: { maxDimension: 3 } })).rejects.toThrow(
      /limits.jsonl:1: field "chosen": .*4x4 pixels, over maxDimension \(3\)/,
    );
    await expect(loadImagePreferenceJsonl(file, [4, 4, 1], { imageLimits: { maxBytes: 0 } })).rejects.toThrow(
      'options.imageLimits.maxBytes must be an integer >= 1: got 0',
    );
  });
});

describe('compareRewards', () => {
  it('pairs samples by initial noise: a model against itself ties, a changed model differs', async () => {
    const same = await expectNoLeak(() =>
      compareRewards(model, model, schedule, { conditions: [0, 1, 2, 0], reward: brightness, seed: 2, numSteps: 4 }),
    );
    expect(same.winRate).toBe(0.5);
    expect(same.candidateMean).toBe(same.baselineMean);
    const other = cloneDenoiser(model);
    perturbWeights(other, 3, 0.2);
    const changed = await compareRewards(model, other, schedule, {
      conditions: [0, 1, 2, 0],
      reward: brightness,
      seed: 2,
      numSteps: 4,
    });
    expect(Array.from(changed.baselineRewards)).toEqual(Array.from(same.baselineRewards));
    expect(Array.from(changed.candidateRewards)).not.toEqual(Array.from(same.candidateRewards));
    other.dispose();
  });
});
