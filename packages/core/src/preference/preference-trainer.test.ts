import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { NonFiniteError } from '../errors/non-finite-error.js';
import { expectClose } from '../testing/expect-close.js';
import { TabularPolicyScorer, type TabularPreferenceBatch } from '../testing/tabular-policy-scorer.js';
import { runTrainingLoop } from '../training/training-loop.js';
import { PreferenceTrainer } from './preference-trainer.js';
import { ReferenceScoreCache } from './reference-score-cache.js';

/**
 * Pairs over 3 responses whose counts are Bradley-Terry consistent with r = [log 4, log 2, 0]:
 * n(i beats j) / n(j beats i) = exp(r_i - r_j). The empirical DPO objective is then minimised
 * exactly where beta * (h_i - h_j) = r_i - r_j with h = log pi - log pi_ref (Rafailov et al.
 * 2023, Eq. 4-7), i.e. pi* proportional to pi_ref * exp(r / beta).
 */
function btPairs(): TabularPreferenceBatch {
  const counts: [number, number, number][] = [
    [0, 1, 2],
    [1, 0, 1],
    [0, 2, 4],
    [2, 0, 1],
    [1, 2, 2],
    [2, 1, 1],
  ];
  const chosen: number[] = [];
  const rejected: number[] = [];
  for (const [winner, loser, n] of counts)
    for (let k = 0; k < n; k++) {
      chosen.push(winner);
      rejected.push(loser);
    }
  return { conditions: chosen.map(() => 0), chosen, rejected };
}

const live: { dispose(): void }[] = [];
function track<T extends { dispose(): void }>(x: T): T {
  live.push(x);
  return x;
}
afterEach(() => {
  live.splice(0).forEach((x) => {
    x.dispose();
  });
});

let counter = 0;
function scorer(logits: number[][], trainable = true): TabularPolicyScorer {
  return track(new TabularPolicyScorer(logits, `t${counter++}`, trainable));
}

describe('PreferenceTrainer', () => {
  it('converges to the closed-form DPO optimum pi* ~ pi_ref exp(r / beta)', async () => {
    const referenceLogits = [[0.3, -0.2, 0.1]];
    const policy = scorer(referenceLogits);
    const reference = scorer(referenceLogits, false);
    const beta = 0.5;
    const trainer = track(
      new PreferenceTrainer({
        policy,
        reference: { kind: 'model', scorer: reference },
        config: { totalSteps: 400, beta, learningRate: 0.05, lrSchedule: 'constant', maxGradNorm: Infinity },
      }),
    );
    const batch = btPairs();
    const before = tf.memory().numTensors;
    let first = 0;
    let last = 0;
    for (let step = 0; step < 400; step++) {
      const metrics = await trainer.trainStep(batch, step);
      if (step === 0) first = metrics.loss!;
      last = metrics.loss!;
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(last).toBeLessThan(first);
    const ref = referenceLogits[0]!.map((z) => Math.exp(z));
    const r = [Math.log(4), Math.log(2), 0];
    const unnormalised = ref.map((p, i) => p * Math.exp(r[i]! / beta));
    const total = unnormalised.reduce((a, b) => a + b, 0);
    const probs = tf.tidy(() => tf.softmax(policy.logits));
    expectClose(probs, [unnormalised.map((u) => u / total)], { atol: 5e-3, rtol: 0 });
    probs.dispose();
  });

  it('optimises only what the scorer lists as trainable: a named but unlisted variable stays fixed', async () => {
    const logits = [[0.3, -0.2, 0.1]];
    const inner = scorer(logits);
    const temperature = track(tf.variable(tf.scalar(1.5), true, `temperature${counter++}`));
    // The temperature scales the scores (so it has a gradient) but is frozen, as a text encoder in a
    // text-to-image policy: named for checkpoints, not listed as trainable.
    const policy: TabularPolicyScorer = Object.assign(Object.create(inner) as TabularPolicyScorer, {
      score: (batch: TabularPreferenceBatch) =>
        tf.tidy(() => {
          const scores = inner.score(batch);
          return { chosen: tf.mul(scores.chosen, temperature), rejected: tf.mul(scores.rejected, temperature) };
        }),
      namedVariables: () => new Map([...inner.namedVariables(), ['temperature', temperature]]),
    });
    const trainer = track(
      new PreferenceTrainer({
        policy,
        reference: { kind: 'model', scorer: scorer(logits, false) },
        config: { totalSteps: 3, learningRate: 0.1, lrSchedule: 'constant' },
      }),
    );
    const before = inner.logits.dataSync().slice();
    for (let step = 0; step < 3; step++) await trainer.trainStep(btPairs(), step);
    expect(temperature.dataSync()[0]).toBe(1.5);
    expect(Array.from(inner.logits.dataSync())).not.toEqual(Array.from(before));
  });

  it('reports TRL metrics; step 0 has loss log 2, zero rewards and accuracy 0 (ties)', async () => {
    const logits = [[0, 0, 0]];
    const trainer = track(
      new PreferenceTrainer({
        policy: scorer(logits),
        reference: { kind: 'model', scorer: scorer(logits, false) },
        config: { totalSteps: 10, learningRate: 0.1, warmupSteps: 2 },
      }),
    );
    const metrics = await trainer.trainStep(btPairs(), 0);
    expect(metrics.loss).toBeCloseTo(Math.log(2), 6);
    expect(metrics['rewards/chosen']).toBe(0);
    expect(metrics['rewards/margins']).toBe(0);
    expect(metrics['rewards/accuracies']).toBe(0);
    expect(metrics['logps/chosen']).toBeCloseTo(-Math.log(3), 6);
    expect(metrics.learning_rate).toBe(0); // transformers' warm-up starts at 0
    expect(metrics.grad_norm).toBeGreaterThan(0);
  });

  it('gradient accumulation over two equal micro-batches equals one full batch', async () => {
    const logits = [[0.1, 0.5, -0.3]];
    const make = (): PreferenceTrainer<TabularPreferenceBatch> =>
      track(
        new PreferenceTrainer({
          policy: scorer(logits),
          reference: { kind: 'model', scorer: scorer(logits, false) },
          config: { totalSteps: 3, learningRate: 0.1, lrSchedule: 'constant', maxGradNorm: 0.5 },
        }),
      );
    const full = btPairs();
    const half = (from: number, to: number): TabularPreferenceBatch => ({
      conditions: full.conditions.slice(from, to),
      chosen: full.chosen.slice(from, to),
      rejected: full.rejected.slice(from, to),
    });
    // 11 pairs do not split evenly; use the first 10 for both runs.
    const whole = half(0, 10);
    const a = make();
    const b = make();
    for (let step = 0; step < 3; step++) {
      const ma = await a.trainStep(whole, step);
      const mb = await b.trainStep([half(0, 5), half(5, 10)], step);
      expect(mb.grad_norm).toBeCloseTo(ma.grad_norm!, 5);
      expect(mb.loss).toBeCloseTo(ma.loss!, 6);
    }
    expectClose((a.policy as TabularPolicyScorer).logits, (b.policy as TabularPolicyScorer).logits, { atol: 1e-6 });
  });

  it('a disk cache of reference scores gives the same training as the frozen model, and is reused', async () => {
    const dir = await fs.mkdtemp(path.join(tmpdir(), 'dpo-ts-ref-cache-'));
    const file = path.join(dir, 'ref.json');
    const logits = [[0.2, -0.1, 0.4]];
    const batch = btPairs();
    const keys = (b: TabularPreferenceBatch): string[] =>
      b.chosen.map((c, i) => `${b.conditions[i]}:${c}>${b.rejected[i]}#${i}`);
    const reference = scorer(logits, false);
    const cache = await ReferenceScoreCache.open(file, 'fp-1');
    expect(cache.status).toBe('new');
    const withModel = track(
      new PreferenceTrainer({
        policy: scorer(logits),
        reference: { kind: 'model', scorer: reference },
        config: { totalSteps: 2, learningRate: 0.1 },
      }),
    );
    const withCache = track(
      new PreferenceTrainer({
        policy: scorer(logits),
        reference: { kind: 'cache', cache, keys, scorer: reference },
        config: { totalSteps: 2, learningRate: 0.1 },
      }),
    );
    for (let step = 0; step < 2; step++) {
      const m1 = await withModel.trainStep(batch, step);
      const m2 = await withCache.trainStep(batch, step);
      expect(m2.loss).toBeCloseTo(m1.loss!, 6);
    }
    expect(cache.size).toBe(batch.chosen.length);
    await cache.save();
    const reopened = await ReferenceScoreCache.open(file, 'fp-1');
    expect(reopened.status).toBe('loaded');
    // A loaded cache serves every pair without a scorer.
    const noScorer = track(
      new PreferenceTrainer({
        policy: scorer(logits),
        reference: { kind: 'cache', cache: reopened, keys },
        config: { totalSteps: 1 },
      }),
    );
    await expect(noScorer.trainStep(batch, 0)).resolves.toBeDefined();
    expect((await ReferenceScoreCache.open(file, 'fp-2')).status).toBe('invalidated');
  });

  it('TR-DPO moves the reference toward the policy every refModelSyncSteps steps', async () => {
    const logits = [[0, 0, 0]];
    const policy = scorer(logits);
    const reference = scorer(logits, false);
    const trainer = track(
      new PreferenceTrainer({
        policy,
        reference: { kind: 'model', scorer: reference },
        config: {
          totalSteps: 4,
          learningRate: 0.1,
          syncRefModel: true,
          refModelSyncSteps: 2,
          refModelMixupAlpha: 0.25,
        },
      }),
    );
    await trainer.trainStep(btPairs(), 0);
    expectClose(reference.logits, [[0, 0, 0]]); // not yet
    const policyAfterTwo = async (): Promise<Float32Array> => {
      await trainer.trainStep(btPairs(), 1);
      return policy.logits.dataSync() as Float32Array;
    };
    const p = Array.from(await policyAfterTwo());
    expectClose(reference.logits, [p.map((v) => 0.25 * v)], { atol: 1e-6 });
  });

  it('stops with NonFiniteError before the weights change when the loss is NaN', async () => {
    const policy = scorer([[0, 0, 0]]);
    const trainer = track(
      new PreferenceTrainer({ policy, reference: { kind: 'none' }, config: { totalSteps: 1, learningRate: 0.1 } }),
    );
    await policy.logits.assign(tf.tensor2d([[NaN, 0, 0]]));
    await expect(trainer.trainStep(btPairs(), 0)).rejects.toThrow(NonFiniteError);
    expect(Number.isNaN(policy.logits.dataSync()[0])).toBe(true);
    expect(policy.logits.dataSync()[1]).toBe(0);
  });

  it('evaluate weights batch means by pairs and changes nothing', async () => {
    const logits = [[1, 0, -1]];
    const policy = scorer(logits);
    const trainer = track(new PreferenceTrainer({ policy, reference: { kind: 'none' }, config: { totalSteps: 1 } }));
    const all = btPairs();
    const split = [
      { conditions: all.conditions.slice(0, 3), chosen: all.chosen.slice(0, 3), rejected: all.rejected.slice(0, 3) },
      { conditions: all.conditions.slice(3), chosen: all.chosen.slice(3), rejected: all.rejected.slice(3) },
    ];
    const whole = await trainer.evaluate([all]);
    const parts = await trainer.evaluate(split);
    expect(parts.loss).toBeCloseTo(whole.loss!, 6);
    expect(parts['rewards/accuracies']).toBeCloseTo(whole['rewards/accuracies']!, 6);
    expectClose(policy.logits, logits);
  });

  it('resumes bit-identically through runTrainingLoop checkpoints', async () => {
    const dir = await fs.mkdtemp(path.join(tmpdir(), 'dpo-ts-pref-resume-'));
    const logits = [[0.3, 0.1, -0.2]];
    const run = async (checkpointDir: string, stopAfter: number | undefined): Promise<Float32Array> => {
      const policy = scorer(logits);
      const trainer = track(
        new PreferenceTrainer({
          policy,
          reference: { kind: 'model', scorer: scorer(logits, false) },
          config: { totalSteps: 6, learningRate: 0.05, lossType: ['sigmoid', 'bco_pair'], warmupSteps: 2 },
        }),
      );
      const controller = new AbortController();
      await runTrainingLoop({
        totalSteps: 6,
        step: async (i) => {
          const metrics = await trainer.trainStep(btPairs(), i);
          if (stopAfter !== undefined && i + 1 === stopAfter) controller.abort();
          return metrics;
        },
        checkpoint: {
          dir: checkpointDir,
          every: 2,
          save: () => trainer.checkpointContent(),
          restore: (c) => trainer.restore(c),
        },
        resume: 'auto',
        progress: false,
        signal: controller.signal,
      });
      return policy.logits.dataSync() as Float32Array;
    };
    const straight = await run(path.join(dir, 'a'), undefined);
    await run(path.join(dir, 'b'), 3);
    const resumed = await run(path.join(dir, 'b'), undefined);
    expect(Array.from(resumed)).toEqual(Array.from(straight));
  });
});
