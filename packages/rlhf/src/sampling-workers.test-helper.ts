import type { TrainingLoopResult } from '@dpo-ts/core/training';
import { CharTokenizer, GPT } from '@dpo-ts/lm';
import { GRPOTrainer } from './group/grpo-trainer.js';
import type { RewardFunction } from './reward-source.js';

export const tokenizer = CharTokenizer.fromCorpus(['abcd >']);
export const prompts = ['a>', 'b>', 'c>', 'd>', 'ab>', 'ba>', 'cd>', 'dc>'].map((prompt) => ({ prompt }));
export const countA: RewardFunction = (_prompt, completion) => [...completion].filter((c) => c === 'a').length;
export const tinyGPT = (): GPT =>
  new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 12, dModel: 16, nLayer: 1, nHead: 2, seed: 1 });

/** A GRPO run of 24 completions per step: 3 sampling tasks of 8 rows. */
export async function grpoRun(samplingWorkers: number | 'auto' | undefined, reward: RewardFunction = countA) {
  const model = tinyGPT();
  const trainer = await GRPOTrainer.create({
    model,
    tokenizer,
    trainDataset: prompts,
    evalDataset: prompts.slice(0, 3),
    reward,
    config: {
      totalSteps: 2,
      numGenerations: 4,
      perDeviceTrainBatchSize: 12,
      gradientAccumulationSteps: 2,
      maxCompletionLength: 5,
      beta: 0.1,
      learningRate: 1e-2,
      evalSteps: 1,
      ...(samplingWorkers === undefined ? {} : { samplingWorkers }),
    },
  });
  return { model, trainer };
}

/** Step and evaluation metrics without the wall-clock ones (`time/*`, `*_per_second`). */
export const numbers = (result: TrainingLoopResult) =>
  [...result.history, ...result.evalHistory].map(({ step, metrics }) => ({
    step,
    metrics: Object.fromEntries(
      Object.entries(metrics).filter(([key]) => !key.startsWith('time') && !key.endsWith('per_second')),
    ),
  }));
