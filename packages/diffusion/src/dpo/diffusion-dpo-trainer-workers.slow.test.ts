import type { GradientWorkerPool } from '@dpo-ts/core/parallel';
import { afterAll, describe, expect, it } from 'vitest';
import { cloneDenoiser } from '../denoiser-checkpoint.js';
import type { MLPDenoiser } from '../mlp-denoiser.js';
import type { DiffusionDPOConfig } from './diffusion-dpo-config.js';
import { DiffusionDPOTrainer } from './diffusion-dpo-trainer.js';
import { perturbWeights, randomPairs, tinyDenoiser, tinySchedule } from './tiny-models.test-helper.js';

// Workers import '@dpo-ts/core' and '@dpo-ts/diffusion' from dist/: these tests need `npm run build` first.
const PAIRS = randomPairs(12, 5);
// Label dropout on: it lives in the batch, so the worker must see the same dropped labels.
const CONFIG: DiffusionDPOConfig = {
  totalSteps: 4,
  learningRate: 1e-2,
  beta: 50,
  perDeviceTrainBatchSize: 2,
  gradientAccumulationSteps: 3,
  cfgDropProb: 0.3,
  seed: 9,
};
const weights = (model: MLPDenoiser): number[] =>
  [...model.namedVariables().values()].flatMap((v) => Array.from(v.dataSync() as Float32Array));
const maxDifference = (a: readonly number[], b: readonly number[]): number =>
  a.reduce((max, value, i) => Math.max(max, Math.abs(value - b[i]!)), 0);

describe('DiffusionDPOTrainer with workers', () => {
  const schedule = tinySchedule();
  const reference = tinyDenoiser(1);
  perturbWeights(reference, 2);
  const models: MLPDenoiser[] = [reference];
  afterAll(() => models.forEach((m) => void m.dispose()));

  async function run(workers: number, extra: Partial<DiffusionDPOConfig> = {}) {
    const model = tinyDenoiser(1);
    models.push(model);
    const referenceModel = cloneDenoiser(reference);
    models.push(referenceModel as MLPDenoiser);
    const trainer = await DiffusionDPOTrainer.create({
      model,
      referenceModel,
      schedule,
      trainDataset: PAIRS,
      config: { ...CONFIG, ...extra, workers },
    });
    const losses: number[] = [];
    const mse: number[] = [];
    const workerTensors: Promise<number[]>[] = [];
    await trainer.train({
      progress: false,
      onLog: ({ step, metrics }) => {
        losses.push(metrics.loss!);
        mse.push(metrics['mse/ref_chosen'] ?? metrics['mse/model_chosen']!);
        const engine = trainer.preferenceTrainer.engine as unknown as GradientWorkerPool<unknown> | undefined;
        if (step < CONFIG.totalSteps!) workerTensors.push(engine?.workerTensorCounts() ?? Promise.resolve([]));
      },
    });
    trainer.dispose();
    return { losses, mse, weights: weights(model), workerTensors: await Promise.all(workerTensors) };
  }

  for (const precomputeRefLogProbs of [false, true]) {
    it(`trains to the same loss with 2 workers as with 1 (reference ${precomputeRefLogProbs ? 'cached' : 'model'}), bit-identically for the same count`, async () => {
      const one = await run(1, { precomputeRefLogProbs });
      const two = await run(2, { precomputeRefLogProbs });
      const twoAgain = await run(2, { precomputeRefLogProbs });
      expect(one.losses).toHaveLength(4);
      expect(one.losses[3]).not.toBe(one.losses[0]); // it trained
      for (const [i, loss] of two.losses.entries()) expect(loss).toBeCloseTo(one.losses[i]!, 5);
      // The reference errors (from the main thread's cache, or from each worker's reference
      // replica) reach the modality's metrics: they agree too.
      for (const [i, value] of two.mse.entries()) expect(value).toBeCloseTo(one.mse[i]!, 6);
      expect(maxDifference(two.weights, one.weights)).toBeLessThan(1e-5);
      expect(twoAgain.losses).toEqual(two.losses);
      expect(twoAgain.weights).toEqual(two.weights);
      // Each worker holds its policy replica, plus a reference replica unless the scores are cached.
      const variables = reference.namedVariables().size * (precomputeRefLogProbs ? 1 : 2);
      expect(two.workerTensors).toEqual(Array.from({ length: 3 }, () => [variables, variables]));
    }, 180_000);
  }
});
