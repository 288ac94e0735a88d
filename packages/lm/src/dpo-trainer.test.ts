import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  computePreferenceLoss,
  createPreferenceLossState,
  InvalidArgumentError,
  PREFERENCE_LOSS_TYPES,
  resolvePreferenceLossConfig,
  type Checkpointable,
  type NamedVariables,
} from '@dpo-ts/core';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import type { CausalLanguageModel, CausalLMForwardOptions } from './causal-lm.js';
import { CharTokenizer } from './char-tokenizer.js';
import { buildDPOBatch } from './dpo-dataset.js';
import { DPOTrainer } from './dpo-trainer.js';
import { float64RowLogProb } from './float64-log-probs.test-helper.js';
import { GPT } from './gpt-model.js';

const tokenizer = CharTokenizer.fromCorpus(['abcdefgh .!']);
const PAIRS = [
  { prompt: 'abc', chosen: 'de!', rejected: 'hh.' },
  { prompt: 'h', chosen: 'gfe', rejected: 'a b c d' },
  { prompt: 'ba ba', chosen: '', rejected: 'c' },
  { prompt: 'e', chosen: 'ee!', rejected: 'e.' },
  { prompt: 'gg', chosen: 'a!', rejected: 'ab.' },
];
const EVAL_PAIRS = [
  { prompt: 'cab', chosen: 'a!', rejected: 'a.' },
  { prompt: 'f', chosen: 'fh!', rejected: 'hf' },
];

const gpt = (seed: number, dropout = 0): GPT =>
  new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 16, dModel: 16, nLayer: 1, nHead: 2, seed, dropout });
const weights = (named: NamedVariables): number[][] => [...named.values()].map((v) => Array.from(v.dataSync()));

/** A reference model that counts its forward passes. */
class CountingModel implements CausalLanguageModel, Checkpointable {
  forwardCalls = 0;
  constructor(readonly inner: GPT) {}
  get vocabSize(): number {
    return this.inner.vocabSize;
  }
  get contextLength(): number {
    return this.inner.contextLength;
  }
  forward(inputIds: tf.Tensor2D, options?: CausalLMForwardOptions): tf.Tensor3D {
    this.forwardCalls += 1;
    return this.inner.forward(inputIds, options);
  }
  trainableVariables(): tf.Variable[] {
    return [];
  }
  namedVariables(): NamedVariables {
    return this.inner.namedVariables();
  }
}

/** Float64 scores of every pair under `model`: summed completion + EOS log-probs, and lengths. */
function float64Scores(
  model: CausalLanguageModel,
  pairs: typeof PAIRS,
): { chosen: number[]; rejected: number[]; chosenLengths: number[]; rejectedLengths: number[] } {
  const side = (prompt: string, completion: string): { sum: number; count: number } => {
    const promptIds = [tokenizer.bosTokenId, ...tokenizer.encode(prompt)];
    const ids = [...promptIds, ...tokenizer.encode(completion), tokenizer.eosTokenId];
    return float64RowLogProb(
      model,
      ids,
      ids.map((_, t) => (t >= promptIds.length ? 1 : 0)),
    );
  };
  const chosen = pairs.map((p) => side(p.prompt, p.chosen));
  const rejected = pairs.map((p) => side(p.prompt, p.rejected));
  return {
    chosen: chosen.map((s) => s.sum),
    rejected: rejected.map((s) => s.sum),
    chosenLengths: chosen.map((s) => s.count),
    rejectedLengths: rejected.map((s) => s.count),
  };
}

describe('DPOTrainer', () => {
  const live: { dispose(): void }[] = [];
  const track = <T extends { dispose(): void }>(x: T): T => {
    live.push(x);
    return x;
  };
  afterAll(() =>
    live.forEach((x) => {
      x.dispose();
    }),
  );

  it("every loss type's value equals core's computePreferenceLoss on float64 log-probs from the logits", async () => {
    const policy = track(gpt(1));
    const reference = track(gpt(2));
    const r = float64Scores(reference, PAIRS);
    let p = float64Scores(policy, PAIRS);
    for (const lossType of PREFERENCE_LOSS_TYPES) {
      p = float64Scores(policy, PAIRS); // the previous iteration's step moved the policy
      const trainer = await DPOTrainer.create({
        model: policy,
        referenceModel: reference,
        tokenizer,
        trainDataset: PAIRS,
        config: { totalSteps: 1, lossType, beta: 0.5 },
      });
      const inOrder = await trainer.evaluate([buildDPOBatch(trainer.trainData, [0, 1, 2, 3, 4], tokenizer)]);
      // Step 0's batch holds the same 5 pairs, shuffled: every loss is a symmetric function of the batch.
      const shuffled = await trainer.evaluate(trainer.batchesForStep(0));
      const expected = tf.tidy(() => {
        const result = computePreferenceLoss(
          {
            chosen: tf.tensor1d(p.chosen),
            rejected: tf.tensor1d(p.rejected),
            chosenLengths: tf.tensor1d(p.chosenLengths),
            rejectedLengths: tf.tensor1d(p.rejectedLengths),
          },
          { chosen: tf.tensor1d(r.chosen), rejected: tf.tensor1d(r.rejected) },
          resolvePreferenceLossConfig({ lossType, beta: 0.5 }),
          createPreferenceLossState(),
        );
        return result.loss.dataSync()[0]!;
      });
      expect(inOrder.eval_loss, lossType).toBeCloseTo(expected, 4);
      expect(shuffled.eval_loss, `${lossType} (shuffled batch)`).toBeCloseTo(expected, 4);
      const step = await trainer.trainStep(trainer.batchesForStep(0), 0);
      expect(step.loss, lossType).toBeCloseTo(expected, 4);
      expect(step.grad_norm, lossType).toBeGreaterThan(0);
      trainer.dispose();
    }
    // The sigmoid loss by hand, in float64 end to end (Rafailov et al. 2023, Eq. 7).
    p = float64Scores(policy, PAIRS);
    const z = p.chosen.map((c, i) => 0.5 * (c - r.chosen[i]! - (p.rejected[i]! - r.rejected[i]!)));
    const sigmoidLoss = z.reduce((acc, x) => acc + Math.log1p(Math.exp(-x)), 0) / z.length;
    const again = await DPOTrainer.create({
      model: policy,
      referenceModel: reference,
      tokenizer,
      trainDataset: PAIRS,
      config: { totalSteps: 1, beta: 0.5 },
    });
    const metrics = await again.evaluate([buildDPOBatch(again.trainData, [0, 1, 2, 3, 4], tokenizer)]);
    expect(metrics.eval_loss).toBeCloseTo(sigmoidLoss, 4);
    expect(metrics['eval_rewards/chosen']).toBeCloseTo(
      (0.5 * p.chosen.reduce((a, c, i) => a + c - r.chosen[i]!, 0)) / 5,
      4,
    );
    expect(metrics['eval_logps/rejected']).toBeCloseTo(p.rejected.reduce((a, b) => a + b, 0) / 5, 4);
    again.dispose();
  });

  it('reference-free DPO builds no reference and uses the policy scores as log-ratios', async () => {
    const policy = track(gpt(3));
    const p = float64Scores(policy, PAIRS);
    const trainer = await DPOTrainer.create({
      model: policy,
      tokenizer,
      trainDataset: PAIRS,
      config: { totalSteps: 1, beta: 0.2, referenceFree: true },
    });
    expect(trainer.referenceModel).toBeUndefined();
    const metrics = await trainer.evaluate([buildDPOBatch(trainer.trainData, [0, 1, 2, 3, 4], tokenizer)]);
    const loss = p.chosen.reduce((acc, c, i) => acc + Math.log1p(Math.exp(-0.2 * (c - p.rejected[i]!))), 0) / 5;
    expect(metrics.eval_loss).toBeCloseTo(loss, 4);
    trainer.dispose();
  });

  it('precomputed reference scores: miss, then a cache hit with no reference forward pass, invalidated by new data or new weights', async () => {
    const dir = await fs.mkdtemp(path.join(tmpdir(), 'dpo-ts-lm-ref-cache-'));
    const file = path.join(dir, 'reference-scores.json');
    const referenceWeights = track(gpt(4));
    const config = {
      totalSteps: 2,
      learningRate: 1e-3,
      perDeviceTrainBatchSize: 2,
      precomputeRefLogProbs: true,
      precomputeRefBatchSize: 3,
    };
    const run = async (
      pairs: typeof PAIRS,
    ): Promise<{ trainer: DPOTrainer; reference: CountingModel; first: number }> => {
      const reference = new CountingModel(referenceWeights);
      const trainer = await DPOTrainer.create({
        model: track(gpt(5)),
        referenceModel: reference,
        tokenizer,
        trainDataset: pairs,
        evalDataset: EVAL_PAIRS,
        config,
        referenceCacheFile: file,
      });
      const result = await trainer.train({ progress: false });
      await trainer.evaluate();
      return { trainer, reference, first: result.history[0]!.metrics.loss! };
    };

    const miss = await run(PAIRS);
    expect(miss.trainer.referenceCache!.status).toBe('new');
    expect(miss.reference.forwardCalls).toBe(2 + 1); // ceil(5 / 3) train batches + 1 eval batch, then none while training
    expect(miss.trainer.referenceCache!.size).toBe(PAIRS.length + EVAL_PAIRS.length);

    const hit = await run(PAIRS);
    expect(hit.trainer.referenceCache!.status).toBe('loaded');
    expect(hit.reference.forwardCalls).toBe(0);
    expect(hit.first).toBeCloseTo(miss.first, 6);

    // Same losses as a frozen reference model run every step.
    const live = await DPOTrainer.create({
      model: track(gpt(5)),
      referenceModel: referenceWeights,
      tokenizer,
      trainDataset: PAIRS,
      config: { ...config, precomputeRefLogProbs: false },
    });
    expect((await live.trainStep(live.batchesForStep(0), 0)).loss).toBeCloseTo(miss.first, 5);

    const newData = await run(PAIRS.map((pair, i) => (i === 2 ? { ...pair, chosen: 'hgf' } : pair)));
    expect(newData.trainer.referenceCache!.status).toBe('invalidated');
    expect(newData.reference.forwardCalls).toBe(3);

    referenceWeights
      .namedVariables()
      .get('wte')!
      .assign(tf.tidy(() => tf.add(referenceWeights.namedVariables().get('wte')!, 0.01)));
    const newWeights = await run(PAIRS);
    expect(newWeights.trainer.referenceCache!.status).toBe('invalidated');
    expect(newWeights.reference.forwardCalls).toBe(3);
    expect(
      JSON.parse(await fs.readFile(file, 'utf8')).entries[`train:0:${miss.trainer.trainData.keys[0]!.split(':')[2]}`],
    ).toHaveLength(2);

    [miss, hit, newData, newWeights].forEach(({ trainer }) => {
      trainer.dispose();
    });
    live.dispose();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a run stopped and resumed from its checkpoint ends with identical policy and TR-DPO reference weights', async () => {
    const dir = await fs.mkdtemp(path.join(tmpdir(), 'dpo-ts-dpo-resume-'));
    const config = {
      totalSteps: 5,
      learningRate: 3e-3,
      perDeviceTrainBatchSize: 2,
      gradientAccumulationSteps: 2,
      saveSteps: 2,
      syncRefModel: true,
      refModelSyncSteps: 2,
      refModelMixupAlpha: 0.5,
    };
    const straight = await DPOTrainer.create({ model: track(gpt(6, 0.1)), tokenizer, trainDataset: PAIRS, config });
    await straight.train({ progress: false });

    const controller = new AbortController();
    const first = await DPOTrainer.create({ model: track(gpt(6, 0.1)), tokenizer, trainDataset: PAIRS, config });
    const stopped = await first.train({
      progress: false,
      checkpoint: { dir },
      signal: controller.signal,
      onLog: ({ step }) => step === 3 && controller.abort(),
    });
    expect(stopped.completedSteps).toBe(3);
    const second = await DPOTrainer.create({ model: track(gpt(6, 0.1)), tokenizer, trainDataset: PAIRS, config });
    const resumed = await second.train({ progress: false, checkpoint: { dir, resume: true } });
    expect(resumed.startStep).toBe(3);
    expect(weights(second.model.namedVariables())).toEqual(weights(straight.model.namedVariables()));
    expect(weights(second.referenceModel!.namedVariables())).toEqual(
      weights(straight.referenceModel!.namedVariables()),
    );
    expect(weights(second.referenceModel!.namedVariables())).not.toEqual(weights(track(gpt(6)).namedVariables()));
    [straight, first, second].forEach((t) => {
      t.dispose();
    });
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('leaves no tensor behind: create (frozen clone), train with evaluation, dispose', async () => {
    const policy = track(gpt(7));
    await expectNoLeak(async () => {
      const trainer = await DPOTrainer.create({
        model: policy,
        tokenizer,
        trainDataset: PAIRS,
        evalDataset: EVAL_PAIRS,
        config: { totalSteps: 3, evalSteps: 2, perDeviceTrainBatchSize: 2, learningRate: 1e-3 },
      });
      expect(trainer.referenceModel!.trainableVariables().some((v) => v.trainable)).toBe(false); // frozen clone
      const result = await trainer.train({ progress: false });
      expect(result.evalHistory).toHaveLength(1);
      expect(result.history.at(-1)!.metrics.train_samples_per_second).toBeGreaterThan(0);
      expect(result.history.at(-1)!.metrics.epoch).toBeCloseTo(1, 6); // 3 steps x 2 pairs of 5, last batch of each epoch 1 pair
      trainer.dispose();
    });
  });

  it('refuses the policy as its own reference up front (the loss would stay at log 2)', async () => {
    const policy = track(gpt(9));
    for (const referenceFree of [false, true]) {
      const created = DPOTrainer.create({
        model: policy,
        referenceModel: policy,
        tokenizer,
        trainDataset: PAIRS,
        config: { totalSteps: 1, referenceFree },
      });
      await expect(created).rejects.toThrow(InvalidArgumentError);
      await expect(created).rejects.toThrow(
        'options.referenceModel must be a separate model (model.clone()), not the policy itself: got "the policy" (omit it for a frozen copy of the policy, or set config.referenceFree: true for no reference)',
      );
    }
  });

  it('rejects bad configuration with the field named', async () => {
    const policy = track(gpt(8));
    const create = (config: object, extra: object = {}): Promise<DPOTrainer> =>
      DPOTrainer.create({
        model: policy,
        tokenizer,
        trainDataset: PAIRS,
        config: { totalSteps: 1, ...config },
        ...extra,
      });
    await expect(create({ precomputeRefLogProbs: true, syncRefModel: true })).rejects.toThrow(
      /config\.precomputeRefLogProbs/,
    );
    await expect(create({}, { referenceCacheFile: '/tmp/x.json' })).rejects.toThrow(/referenceCacheFile/);
    await expect(create({ maxLength: 64 })).rejects.toThrow(
      /config\.maxLength must be an integer >= 3 and <= 16: got 64/,
    );
    await expect(create({ lossType: 'nope' })).rejects.toThrow(/lossType/);
    await expect(
      DPOTrainer.create({
        model: policy,
        tokenizer,
        trainDataset: [{ prompt: 'a', chosen: 1 } as never],
        config: { totalSteps: 1 },
      }),
    ).rejects.toThrow(/trainDataset\[0\]\.chosen must be a string/);
  });
});
