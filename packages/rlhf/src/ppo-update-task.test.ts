import * as tf from '@tensorflow/tfjs-core';
import { CharTokenizer, GPT } from '@dpo-ts/lm';
import { describe, expect, it } from 'vitest';
import { ppoLoss } from './ppo-loss.js';
import { PPOTrainer } from './ppo-trainer.js';
import { createPPOUpdateTask, ppoUpdateBatch, ppoUpdateTaskConfig, ppoUpdateTaskSpec } from './ppo-update-task.js';

const tokenizer = CharTokenizer.fromCorpus(['abcd >']);
const CONFIG = { totalSteps: 1, batchSize: 4, responseLength: 5, temperature: 1, vfCoef: 0.5 };

describe('createPPOUpdateTask', () => {
  it("gives a micro-batch of copied rows the loss of those rows in the full batch, and a replica the trainer's variable layout", async () => {
    const model = new GPT({
      vocabSize: tokenizer.vocabSize,
      contextLength: 12,
      dModel: 8,
      nLayer: 1,
      nHead: 2,
      seed: 2,
    });
    const critic = new GPT({
      vocabSize: tokenizer.vocabSize,
      contextLength: 12,
      dModel: 8,
      nLayer: 1,
      nHead: 2,
      seed: 3,
    });
    const trainer = await PPOTrainer.create({
      model,
      critic,
      tokenizer,
      trainDataset: ['a>', 'b>', 'cd>', 'dd>'].map((prompt) => ({ prompt })),
      reward: (_prompt, completion) => completion.length,
      config: CONFIG,
    });
    const batch = await trainer.rollout(0);
    const models = { policy: model, critic, valueHead: trainer.valueHead };
    const config = ppoUpdateTaskConfig(models, trainer.config);
    // The spec's config is plain JSON: what a worker receives.
    expect(JSON.parse(JSON.stringify(ppoUpdateTaskSpec(config).config))).toEqual(config);
    const start = tf.memory().numTensors;
    const task = createPPOUpdateTask(config, models);
    const rows = [3, 1];
    const micro = ppoUpdateBatch(batch, rows);
    expect(micro.layout.batchSize).toBe(2);
    expect(Array.from(micro.advantages.subarray(0, 5))).toEqual(Array.from(batch.advantages.subarray(15, 20)));
    const fromTask = task.lossAndMetrics(structuredClone(micro), {
      stepIndex: 0,
      microBatchIndex: 0,
      microBatchCount: 1,
      step: null,
    });
    const direct = ppoLoss(models, batch, rows, trainer.config);
    expect(fromTask.loss.dataSync()[0]).toBe(direct.loss.dataSync()[0]);
    for (const [name, metric] of Object.entries(direct.metrics))
      expect(fromTask.metrics![name]!.dataSync()[0], name).toBe(metric.dataSync()[0]);
    // loss = policy loss + vfCoef * value loss, recomputed from the metrics.
    const { 'loss/policy_avg': policy, 'loss/value_avg': value } = direct.metrics;
    expect(direct.loss.dataSync()[0]).toBeCloseTo(policy!.dataSync()[0]! + 0.5 * value!.dataSync()[0]!, 6);
    tf.dispose([fromTask.loss, direct.loss, ...Object.values(fromTask.metrics!), ...Object.values(direct.metrics)]);
    task.dispose?.();
    expect(tf.memory().numTensors).toBe(start); // the task freed nothing of the trainer's

    // A worker's replica: built from the config alone, the same names, shapes and trainability.
    const replica = createPPOUpdateTask(config);
    const shapes = (named: ReadonlyMap<string, tf.Variable>) =>
      [...named].map(([name, variable]) => [name, variable.shape, variable.trainable]);
    expect(shapes(replica.namedVariables)).toEqual(shapes(trainer.namedVariables()));
    replica.dispose?.();
    expect(tf.memory().numTensors).toBe(start);
    trainer.dispose();
    model.dispose();
    critic.dispose();
  });
});
