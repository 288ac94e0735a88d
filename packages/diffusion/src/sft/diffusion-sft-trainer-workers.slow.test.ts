import { afterAll, describe, expect, it } from 'vitest';
import type { ImageDataset } from '../data/image-dataset.js';
import type { MLPDenoiser } from '../mlp-denoiser.js';
import { randomPairs, tinyDenoiser, tinySchedule } from '../dpo/tiny-models.test-helper.js';
import type { DiffusionSFTConfig } from './diffusion-sft-config.js';
import { DiffusionSFTTrainer } from './diffusion-sft-trainer.js';

// Workers import '@dpo-ts/core' and '@dpo-ts/diffusion' from dist/: these tests need `npm run build` first.
const PAIRS = randomPairs(12, 4);
const DATA: ImageDataset = {
  images: PAIRS.chosen,
  labels: PAIRS.labels,
  count: PAIRS.count,
  imageShape: [4, 4, 1],
  numClasses: 3,
  classNames: ['a', 'b', 'c'],
};
const CONFIG: DiffusionSFTConfig = {
  totalSteps: 3,
  learningRate: 1e-2,
  perDeviceTrainBatchSize: 3,
  gradientAccumulationSteps: 2,
  cfgDropProb: 0.3,
  seed: 4,
};
const weights = (model: MLPDenoiser): number[] =>
  [...model.namedVariables().values()].flatMap((v) => Array.from(v.dataSync() as Float32Array));

describe('DiffusionSFTTrainer with workers', () => {
  const models: MLPDenoiser[] = [];
  afterAll(() => models.forEach((m) => void m.dispose()));

  async function run(workers: number) {
    const model = tinyDenoiser(2);
    models.push(model);
    const trainer = await DiffusionSFTTrainer.create({
      model,
      schedule: tinySchedule(),
      trainDataset: DATA,
      config: { ...CONFIG, workers },
    });
    const losses: number[] = [];
    const pools: (number | undefined)[] = [];
    await trainer.train({
      progress: false,
      onLog: ({ metrics }) => {
        losses.push(metrics.loss!);
        // The engine in use (private state, read for this test only).
        pools.push((trainer as unknown as { engine?: { workers: number } }).engine?.workers);
      },
    });
    trainer.dispose();
    return { losses, pools, weights: weights(model) };
  }

  it('trains to the same loss and weights with 2 workers as with 1', async () => {
    const one = await run(1);
    const two = await run(2);
    expect(one.losses).toHaveLength(3);
    expect(one.pools).toEqual([undefined, undefined, undefined]); // the main thread
    expect(two.pools).toEqual([2, 2, 2]);
    for (const [i, loss] of two.losses.entries()) expect(loss).toBeCloseTo(one.losses[i]!, 6);
    expect(two.weights.reduce((max, w, i) => Math.max(max, Math.abs(w - one.weights[i]!)), 0)).toBeLessThan(1e-6);
  }, 120_000);
});
