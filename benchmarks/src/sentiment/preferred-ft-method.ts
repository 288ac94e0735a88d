import { METRIC_NAMES } from '@dpo-ts/core';
import { SFTTrainer, type GPT, type Tokenizer } from '@dpo-ts/lm';
import { secondsSince } from './compute-cost.js';
import type { StepsConfig } from './frontier-config.js';
import { finalMetrics, type MethodContext, type TrainedPolicy } from './frontier-point.js';
import { progressTo } from './log-stream.js';
import type { TextPair } from './unlikelihood-trainer.js';

const SFT_METRICS = [METRIC_NAMES.loss, METRIC_NAMES.meanTokenAccuracy];

/**
 * Preferred-FT: supervised fine-tuning of the SFT model on the chosen completions only
 * (prompt masked, lm's `SFTTrainer` with prompt-completion records), the DPO paper's baseline
 * that ignores the rejected side.
 * @see Rafailov et al. 2023, Sec. 6 ("Preferred-FT").
 */
export async function trainPreferredFTPolicy(
  context: MethodContext<GPT, Tokenizer>,
  pairs: readonly TextPair[],
  config: StepsConfig,
): Promise<TrainedPolicy<GPT>> {
  const started = performance.now();
  const policy = context.base.clone();
  const trainer = await SFTTrainer.create({
    model: policy,
    tokenizer: context.tokenizer,
    trainDataset: pairs.map((pair) => ({ prompt: pair.prompt, completion: pair.chosen })),
    config: {
      totalSteps: config.steps,
      learningRate: config.learningRate,
      warmupSteps: Math.min(10, Math.floor(config.steps / 4)),
      perDeviceTrainBatchSize: config.batchSize,
      completionOnlyLoss: true,
      seed: context.seed,
    },
  });
  try {
    const result = await trainer.train({
      progress: progressTo(context.log, 'Preferred-FT', SFT_METRICS, Math.ceil(config.steps / 4)),
      signal: context.signal,
    });
    return {
      policy,
      cost: {
        wallSeconds: secondsSince(started),
        forwardSequences: config.steps * config.batchSize,
        backwardSequences: config.steps * config.batchSize,
        sampledCompletions: 0,
        sampledTokens: 0,
      },
      details: finalMetrics(result.history, SFT_METRICS),
    };
  } catch (error) {
    policy.dispose();
    throw error;
  } finally {
    trainer.dispose();
  }
}
