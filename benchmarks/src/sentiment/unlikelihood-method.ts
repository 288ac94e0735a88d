import { METRIC_NAMES } from '@dpo-ts/core';
import type { GPT, Tokenizer } from '@dpo-ts/lm';
import { secondsSince } from './compute-cost.js';
import type { StepsConfig } from './frontier-config.js';
import { finalMetrics, type MethodContext, type TrainedPolicy } from './frontier-point.js';
import { progressTo } from './log-stream.js';
import { trainUnlikelihood, type TextPair } from './unlikelihood-trainer.js';

const UL_METRICS = [METRIC_NAMES.loss, 'nll/chosen', 'unlikelihood/rejected'];

/**
 * Unlikelihood from the SFT model at weight `alpha`: likelihood on the chosen completion plus
 * alpha times -log(1 - p) on every rejected token ({@link trainUnlikelihood}).
 * @see Welleck et al. 2019; Rafailov et al. 2023, Sec. 6 (the Unlikelihood baseline).
 */
export async function trainUnlikelihoodPolicy(
  context: MethodContext<GPT, Tokenizer>,
  pairs: readonly TextPair[],
  alpha: number,
  config: StepsConfig,
): Promise<TrainedPolicy<GPT>> {
  const started = performance.now();
  const policy = context.base.clone();
  try {
    const result = await trainUnlikelihood({
      model: policy,
      tokenizer: context.tokenizer,
      pairs,
      config: {
        steps: config.steps,
        batchSize: config.batchSize,
        learningRate: config.learningRate,
        alpha,
        seed: context.seed,
      },
      progress: progressTo(context.log, `Unlikelihood alpha ${alpha}`, UL_METRICS, Math.ceil(config.steps / 4)),
      signal: context.signal,
    });
    return {
      policy,
      cost: {
        wallSeconds: secondsSince(started),
        forwardSequences: 2 * config.steps * config.batchSize,
        backwardSequences: 2 * config.steps * config.batchSize,
        sampledCompletions: 0,
        sampledTokens: 0,
      },
      details: finalMetrics(result.history, UL_METRICS),
    };
  } catch (error) {
    policy.dispose();
    throw error;
  }
}
