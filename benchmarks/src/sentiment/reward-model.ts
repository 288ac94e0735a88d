import { evalKey, METRIC_NAMES } from '@dpo-ts/core';
import type { GPT, Tokenizer } from '@dpo-ts/lm';
import { RewardTrainer, SequenceRewardModel } from '@dpo-ts/reward';
import { secondsSince, type ComputeCost } from './compute-cost.js';
import type { StepsConfig } from './frontier-config.js';
import { progressTo } from './log-stream.js';
import type { TextPair } from './unlikelihood-trainer.js';

/** The learned Bradley-Terry reward model of a seed and how well it ranks held-out pairs. */
export interface FrontierRewardModel {
  readonly model: SequenceRewardModel;
  /** Held-out pair accuracy (chosen scored strictly higher) before and after training. */
  readonly heldOutAccuracyBefore: number;
  readonly heldOutAccuracy: number;
  readonly heldOutLoss: number;
  readonly heldOutPairs: number;
  readonly cost: ComputeCost;
}

/**
 * Trains the RLHF reward model on the benchmark's training pairs: @dpo-ts/reward's
 * `SequenceRewardModel` on a copy of the SFT model (its backbone initialised from the SFT
 * weights, as TRL and Ouyang et al. do) with a fresh scalar head, `RewardTrainer`'s
 * Bradley-Terry loss, then its accuracy on the held-out pairs. The caller disposes `model`.
 */
export async function trainFrontierRewardModel(options: {
  readonly base: GPT;
  readonly tokenizer: Tokenizer;
  readonly train: readonly TextPair[];
  readonly heldOut: readonly TextPair[];
  readonly config: StepsConfig;
  readonly seed: number;
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal | undefined;
}): Promise<FrontierRewardModel> {
  const started = performance.now();
  const { config } = options;
  const model = new SequenceRewardModel(options.base.clone(), { headSeed: options.seed });
  const record = (pair: TextPair) => ({ prompt: pair.prompt, chosen: pair.chosen, rejected: pair.rejected, extra: {} });
  const trainer = await RewardTrainer.create({
    model,
    tokenizer: options.tokenizer,
    trainDataset: options.train.map(record),
    evalDataset: options.heldOut.map(record),
    config: {
      totalSteps: config.steps,
      perDeviceTrainBatchSize: config.batchSize,
      perDeviceEvalBatchSize: 32,
      learningRate: config.learningRate,
      seed: options.seed,
    },
  });
  try {
    const before = await trainer.evaluate();
    await trainer.train({
      progress: progressTo(
        options.log,
        'reward model',
        [METRIC_NAMES.loss, METRIC_NAMES.accuracy, METRIC_NAMES.margin],
        Math.ceil(config.steps / 4),
      ),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
    });
    const after = await trainer.evaluate();
    const heldOutPairs = trainer.evalPairs.length;
    options.log(
      `reward model: held-out pair accuracy ${before[evalKey(METRIC_NAMES.accuracy)]!.toFixed(3)} -> ${after[evalKey(METRIC_NAMES.accuracy)]!.toFixed(3)} (${heldOutPairs} pairs)`,
    );
    return {
      model,
      heldOutAccuracyBefore: before[evalKey(METRIC_NAMES.accuracy)]!,
      heldOutAccuracy: after[evalKey(METRIC_NAMES.accuracy)]!,
      heldOutLoss: after[evalKey(METRIC_NAMES.loss)]!,
      heldOutPairs,
      cost: {
        wallSeconds: secondsSince(started),
        // Chosen and rejected rows: training forward + backward, plus two evaluations.
        forwardSequences: 2 * config.steps * config.batchSize + 2 * 2 * heldOutPairs,
        backwardSequences: 2 * config.steps * config.batchSize,
        sampledCompletions: 0,
        sampledTokens: 0,
      },
    };
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    trainer.dispose();
  }
}
