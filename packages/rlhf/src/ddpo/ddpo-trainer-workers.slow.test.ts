import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NamedVariables } from '@dpo-ts/core';
import type { GradientWorkerPool } from '@dpo-ts/core/parallel';
import { cloneDenoiser, MLPDenoiser, NoiseSchedule, type ImageReward } from '@dpo-ts/diffusion';
import { afterAll, describe, expect, it } from 'vitest';
import type { DDPOConfig } from './ddpo-config.js';
import { DDPO_METRIC_NAMES } from './ddpo-metrics.js';
import { DDPOTrainer } from './ddpo-trainer.js';

// Workers import '@dpo-ts/rlhf' from dist/: these tests need `npm run build` first.
const schedule = new NoiseSchedule({ numTimesteps: 100 });
const denoiser = (): MLPDenoiser =>
  new MLPDenoiser({
    imageShape: [4, 4, 1],
    numClasses: 3,
    hiddenSize: 16,
    numLayers: 1,
    timeEmbeddingDim: 8,
    zeroInitOutput: false,
    seed: 3,
  });
const brightness: ImageReward = (image) => {
  const data = (image as { data: Float32Array }).data;
  return data.reduce((a, b) => a + b, 0) / data.length;
};
// 4 timesteps per update (numSteps 8 x timestepFraction 0.5): 4 micro-batches, 2 per worker.
const CONFIG: DDPOConfig = {
  totalSteps: 3,
  samplesPerStep: 8,
  sampleBatchSize: 4,
  numSteps: 8,
  timestepFraction: 0.5,
  trainBatchSize: 4,
  guidanceScale: 2,
  learningRate: 3e-3,
  clipRange: 0.05,
  perPromptStatTracking: false,
};
const LOGGED = [
  DDPO_METRIC_NAMES.loss,
  DDPO_METRIC_NAMES.approxKl,
  DDPO_METRIC_NAMES.ratio,
  DDPO_METRIC_NAMES.kl,
  DDPO_METRIC_NAMES.rewardMean,
];
const weights = (named: NamedVariables): number[] =>
  [...named.values()].flatMap((variable) => Array.from(variable.dataSync() as Float32Array));
const maxDifference = (a: readonly number[], b: readonly number[]): number =>
  a.reduce((max, value, i) => Math.max(max, Math.abs(value - b[i]!)), 0);
const engineOf = (trainer: DDPOTrainer) =>
  (trainer as unknown as { updateEngine?: GradientWorkerPool<unknown> }).updateEngine;

describe('DDPOTrainer with gradient workers', () => {
  const owned: { dispose(): void }[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const object of owned) object.dispose();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  /** A trainer with a KL term to a frozen reference: the reference's weights reach every replica. */
  async function create(workers: number): Promise<{ trainer: DDPOTrainer; model: MLPDenoiser }> {
    const model = denoiser();
    const reference = cloneDenoiser(model);
    for (const variable of reference.namedVariables().values()) variable.trainable = false;
    const trainer = await DDPOTrainer.create({
      model,
      referenceModel: reference,
      schedule,
      reward: brightness,
      trainDataset: [0, 1, 2].map((prompt) => ({ prompt })),
      config: { ...CONFIG, klCoef: 0.5, workers },
    });
    owned.push(model, reference, trainer);
    return { trainer, model };
  }

  it('trains as with 1 worker, leaking nothing per worker, and a 2-worker checkpoint resumes with 1', async () => {
    const runs = [];
    for (const workers of [1, 2]) {
      const { trainer, model } = await create(workers);
      const history: Record<string, number>[] = [];
      const workerTensors: Promise<number[]>[] = [];
      await trainer.train({
        progress: false,
        onLog: ({ step, metrics }) => {
          history.push(Object.fromEntries(LOGGED.map((key) => [key, metrics[key]!])));
          if (step < CONFIG.totalSteps)
            workerTensors.push(engineOf(trainer)?.workerTensorCounts() ?? Promise.resolve([]));
        },
      });
      expect(engineOf(trainer)).toBeUndefined(); // closed after train()
      runs.push({ history, weights: weights(model.namedVariables()), workerTensors: await Promise.all(workerTensors) });
    }
    const [one, two] = runs as [(typeof runs)[0], (typeof runs)[0]];
    expect(one.history).toHaveLength(3);
    expect(one.history[2]![DDPO_METRIC_NAMES.kl]).toBeGreaterThan(0); // the policy moved away from the reference
    for (const [step, metrics] of two.history.entries())
      for (const key of LOGGED) expect(metrics[key], `${key} at ${step}`).toBeCloseTo(one.history[step]![key]!, 5);
    expect(maxDifference(two.weights, one.weights)).toBeLessThan(1e-5);
    // Each replica: the policy's variables and the reference's, nothing else.
    const fresh = denoiser();
    owned.push(fresh);
    const variables = 2 * fresh.namedVariables().size;
    expect(two.workerTensors).toEqual([
      [variables, variables],
      [variables, variables],
    ]);

    const dir = await mkdtemp(join(tmpdir(), 'dpo-ts-ddpo-workers-'));
    dirs.push(dir);
    const controller = new AbortController();
    const first = await create(2);
    const stopped = await first.trainer.train({
      progress: false,
      checkpoint: { dir, every: 1 },
      signal: controller.signal,
      onLog: ({ step }) => step === 2 && controller.abort(),
    });
    expect(stopped.completedSteps).toBe(2);
    const second = await create(1);
    const resumed = await second.trainer.train({ progress: false, checkpoint: { dir, every: 1, resume: true } });
    expect(resumed.completedSteps).toBe(3);
    expect(maxDifference(weights(second.model.namedVariables()), one.weights)).toBeLessThan(1e-5);
  }, 240_000);

  it('refuses workers > 1 with a KL term to a reference whose variables are trainable', async () => {
    const model = denoiser();
    const reference = cloneDenoiser(model);
    owned.push(model, reference);
    const create = (workers: number) =>
      DDPOTrainer.create({
        model,
        referenceModel: reference,
        schedule,
        reward: brightness,
        trainDataset: [{ prompt: 0 }],
        config: { ...CONFIG, klCoef: 0.5, workers },
      });
    await expect(create(2)).rejects.toThrow('config.workers must be at most 1 with klCoef > 0');
    (await create(1)).dispose();
  });
});
