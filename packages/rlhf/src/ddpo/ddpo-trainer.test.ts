import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { MLPDenoiser, NoiseSchedule, cloneDenoiser, ddimStepLogProb, type ImageReward } from '@dpo-ts/diffusion';
import { DDPO_METRIC_NAMES } from './ddpo-metrics.js';
import { DDPOTrainer } from './ddpo-trainer.js';

const schedule = new NoiseSchedule({ numTimesteps: 100 });
const base = new MLPDenoiser({
  imageShape: [4, 4, 1],
  numClasses: 3,
  hiddenSize: 16,
  numLayers: 1,
  timeEmbeddingDim: 8,
  zeroInitOutput: false,
  seed: 3,
});
afterAll(() => base.dispose());
/** Mean brightness of the image. */
const brightness: ImageReward = (image) => {
  const data = (image as { data: Float32Array }).data;
  return data.reduce((a, b) => a + b, 0) / data.length;
};
const small = {
  totalSteps: 2,
  samplesPerStep: 8,
  sampleBatchSize: 4,
  numSteps: 5,
  trainBatchSize: 4,
  guidanceScale: 2,
  perPromptStatTracking: { bufferSize: 8, minCount: 2 },
};

describe('DDPOTrainer', () => {
  it('samples trajectories whose stored log-probs ddimStepLogProb reproduces under the same weights', async () => {
    const trainer = await DDPOTrainer.create({
      model: base,
      schedule,
      reward: brightness,
      conditions: [0, 1, 2],
      config: small,
    });
    const rollout = await expectNoLeak(() => trainer.rollout(0));
    expect(rollout.count).toBe(8);
    expect(rollout.latents.length).toBe(8 * 6 * 16);
    expect(rollout.timesteps).toEqual([81, 61, 41, 21, 1]);
    const step = 2;
    const rows = [0, 5];
    const transition = tf.tidy(() =>
      ddimStepLogProb(
        base,
        schedule,
        {
          noisyImages: tf.tensor4d(
            Float32Array.from(
              rows.flatMap((r) => Array.from(rollout.latents.subarray((r * 6 + step) * 16, (r * 6 + step + 1) * 16))),
            ),
            [2, 4, 4, 1],
          ),
          previousImages: tf.tensor4d(
            Float32Array.from(
              rows.flatMap((r) =>
                Array.from(rollout.latents.subarray((r * 6 + step + 1) * 16, (r * 6 + step + 2) * 16)),
              ),
            ),
            [2, 4, 4, 1],
          ),
          timesteps: [41, 41],
          prevTimesteps: [21, 21],
          labels: rows.map((r) => rollout.conditions[r]!),
        },
        { eta: 1, guidanceScale: 2 },
      ).dataSync(),
    );
    rows.forEach((r, i) => {
      expect(transition[i]).toBeCloseTo(rollout.logProbs[r * 5 + step]!, 4);
    });
    rows.forEach((r) => {
      expect(rollout.rewards[r]).toBeCloseTo(
        brightness(
          { data: rollout.latents.subarray((r * 6 + 5) * 16, (r * 6 + 6) * 16), height: 4, width: 4, channels: 1 },
          0,
        ),
        6,
      );
    });
    trainer.dispose();
  });

  it('a step with learning rate 0 sees ratio 1: approx KL ~ 0, no clipping, loss = -mean(A); it leaks nothing', async () => {
    const model = cloneDenoiser(base);
    const trainer = await DDPOTrainer.create({
      model,
      schedule,
      reward: brightness,
      conditions: [0, 1, 2],
      config: { ...small, learningRate: 0, perPromptStatTracking: false },
    });
    const metrics = await expectNoLeak(() => trainer.trainStep(0));
    expect(metrics[DDPO_METRIC_NAMES.approxKl]).toBeLessThan(1e-9);
    expect(metrics[DDPO_METRIC_NAMES.clipFraction]).toBe(0);
    expect(metrics[DDPO_METRIC_NAMES.ratio]).toBeCloseTo(1, 5);
    // Batch-normalised advantages have mean 0, and both minibatches hold 4 of the 8 samples.
    expect(metrics[DDPO_METRIC_NAMES.loss]).toBeCloseTo(0, 5);
    expect(metrics[DDPO_METRIC_NAMES.rewardMean]).toBe(metrics[DDPO_METRIC_NAMES.scores]);
    expect(metrics[DDPO_METRIC_NAMES.rewardStd]).toBeGreaterThan(0);
    expect(metrics[DDPO_METRIC_NAMES.gradNorm]).toBeGreaterThan(0);
    trainer.dispose();
    model.dispose();
  });

  it('adds a KL term to a reference when asked (zero against an identical reference)', async () => {
    const model = cloneDenoiser(base);
    const trainer = await DDPOTrainer.create({
      model,
      referenceModel: base,
      schedule,
      reward: brightness,
      conditions: [0, 1],
      config: { ...small, totalSteps: 1, klCoef: 0.1, learningRate: 0 },
    });
    const metrics = await expectNoLeak(() => trainer.trainStep(0));
    expect(Math.abs(metrics[DDPO_METRIC_NAMES.kl]!)).toBeLessThan(1e-6);
    trainer.dispose();
    model.dispose();
    await expect(
      DDPOTrainer.create({
        model: base,
        schedule,
        reward: brightness,
        conditions: [0],
        config: { totalSteps: 1, klCoef: 0.1 },
      }),
    ).rejects.toThrow('config.klCoef must be 0 unless a referenceModel is given');
    await expect(
      DDPOTrainer.create({
        model: base,
        referenceModel: base,
        schedule,
        reward: brightness,
        conditions: [0],
        config: { totalSteps: 1, klCoef: 0.1 },
      }),
    ).rejects.toThrow(
      'options.referenceModel must be a separate denoiser (cloneDenoiser(model)), not the policy itself',
    );
  });

  it('takes trainDataset / evalDataset records, evaluates with eval_ keys, and deprecates conditions', async () => {
    const trainer = await DDPOTrainer.create({
      model: base,
      schedule,
      reward: brightness,
      trainDataset: [0, 1, 2].map((prompt) => ({ prompt })),
      evalDataset: [{ prompt: 0 }, { prompt: 2 }],
      config: small,
    });
    expect(trainer.conditions).toEqual([0, 1, 2]);
    const evaluation = await expectNoLeak(() => trainer.evaluate());
    expect(Object.keys(evaluation).sort()).toEqual(['eval_reward_mean', 'eval_reward_std']);
    expect(await trainer.evaluate()).toEqual(evaluation); // seeded: the same images
    trainer.dispose();
    const warnings: string[] = [];
    const legacy = await DDPOTrainer.create({
      model: cloneDenoiser(base),
      schedule,
      reward: brightness,
      conditions: [0, 1],
      config: { ...small, totalSteps: 1, learningRate: 0 },
    });
    await legacy.train({ progress: false, onWarning: (message) => warnings.push(message) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/`conditions` is deprecated/);
    legacy.model.dispose();
    legacy.dispose();
    await expect(
      DDPOTrainer.create({ model: base, schedule, reward: brightness, trainDataset: [{ prompt: 7 }], config: small }),
    ).rejects.toThrow('options.trainDataset[0].prompt must be an integer in [0, 3]: got 7');
    await expect(
      DDPOTrainer.create({
        model: base,
        schedule,
        reward: brightness,
        trainDataset: [{ prompt: 0 }],
        conditions: [0],
        config: small,
      }),
    ).rejects.toThrow(/conditions must be absent when trainDataset is given/);
  });

  it('resumes bit-identically (weights, optimiser, stat tracker)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ddpo-resume-'));
    try {
      const config = { ...small, totalSteps: 3, learningRate: 1e-3, clipRange: 0.2 };
      const straight = cloneDenoiser(base);
      const a = await DDPOTrainer.create({
        model: straight,
        schedule,
        reward: brightness,
        conditions: [0, 1, 2],
        config,
      });
      const resultA = await a.train({ progress: false });
      const controller = new AbortController();
      const first = cloneDenoiser(base);
      const b = await DDPOTrainer.create({ model: first, schedule, reward: brightness, conditions: [0, 1, 2], config });
      await b.train({
        progress: false,
        checkpoint: { dir, every: 1 },
        signal: controller.signal,
        evaluate: async () => {
          controller.abort();
          return {};
        },
        evalEvery: 2,
      });
      const resumed = cloneDenoiser(base);
      const c = await DDPOTrainer.create({
        model: resumed,
        schedule,
        reward: brightness,
        conditions: [0, 1, 2],
        config,
      });
      const resultC = await c.train({ progress: false, checkpoint: { dir, every: 1, resume: true } });
      expect(resultC.startStep).toBe(2);
      expect(resultC.history.at(-1)!.metrics).toEqual({
        ...resultA.history.at(-1)!.metrics,
        'time/rollout': expect.any(Number),
        'time/optimization': expect.any(Number),
      });
      for (const [name, variable] of straight.namedVariables())
        expect(Array.from(resumed.namedVariables().get(name)!.dataSync())).toEqual(Array.from(variable.dataSync()));
      [a, b, c].forEach((t) => {
        t.dispose();
      });
      [straight, first, resumed].forEach((m) => {
        m.dispose();
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects conditions outside the model and a missing reward', async () => {
    await expect(
      DDPOTrainer.create({ model: base, schedule, reward: brightness, conditions: [4], config: { totalSteps: 1 } }),
    ).rejects.toThrow('options.conditions[0] must be an integer in [0, 3]: got 4');
    await expect(
      DDPOTrainer.create({
        model: base,
        schedule,
        reward: undefined as unknown as ImageReward,
        conditions: [0],
        config: { totalSteps: 1 },
      }),
    ).rejects.toThrow('options.reward');
  });
});
