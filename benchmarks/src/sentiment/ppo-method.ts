import { METRIC_NAMES } from '@dpo-ts/core';
import type { GPT, Tokenizer } from '@dpo-ts/lm';
import { PPO_TIMING_METRIC_NAMES, PPOTrainer, type RewardSource } from '@dpo-ts/rlhf';
import { secondsSince } from './compute-cost.js';
import type { PPOSettings } from './frontier-config.js';
import { finalMetrics, type MethodContext, type TrainedPolicy } from './frontier-point.js';
import { progressTo } from './log-stream.js';

const PPO_METRICS = [
  METRIC_NAMES.objectiveScores,
  METRIC_NAMES.objectiveKl,
  METRIC_NAMES.objectiveRlhfReward,
  METRIC_NAMES.policyClipfracAvg,
  METRIC_NAMES.lossValueAvg,
];

/**
 * PPO from the SFT model with @dpo-ts/rlhf's `PPOTrainer` (TRL semantics: per-token k1 KL
 * penalty -klCoef * (log pi - log pi_ref), the score on the last token, GAE, clipped policy and
 * value losses, value head on the policy) against `reward`: the ground-truth classifier or the
 * learned reward model. Sampling at temperature 1 (TRL's default is 0.7) so that the KL PPO
 * penalises is the KL the frontier measures; fixed KL coefficient; EOS stops a completion.
 *
 * @param rewardModelForward - whether `reward` runs a model forward pass per rollout (counted in the cost).
 */
export async function trainPPOPolicy(
  context: MethodContext<GPT, Tokenizer>,
  options: {
    readonly label: string;
    readonly prompts: readonly string[];
    readonly reward: RewardSource;
    readonly rewardModelForward: boolean;
    readonly klCoef: number;
    readonly config: PPOSettings;
    readonly maxNewTokens: number;
  },
): Promise<TrainedPolicy<GPT>> {
  const started = performance.now();
  const { config } = options;
  const policy = context.base.clone();
  let trainer: PPOTrainer | undefined;
  try {
    trainer = await PPOTrainer.create({
      policy,
      reference: context.base,
      tokenizer: context.tokenizer,
      prompts: options.prompts,
      reward: options.reward,
      config: {
        totalSteps: config.steps,
        batchSize: config.batchSize,
        numPpoEpochs: config.numPpoEpochs,
        learningRate: config.learningRate,
        responseLength: options.maxNewTokens,
        temperature: 1,
        klCoef: options.klCoef,
        seed: context.seed,
      },
    });
    const result = await trainer.train({
      progress: progressTo(context.log, options.label, PPO_METRICS, Math.max(1, Math.ceil(config.steps / 6))),
      ...(context.signal !== undefined ? { signal: context.signal } : {}),
    });
    const responseLengths = result.history.map(
      (entry) => entry.metrics[PPO_TIMING_METRIC_NAMES.meanResponseLength] ?? options.maxNewTokens,
    );
    const rollouts = config.steps * config.batchSize;
    return {
      policy,
      cost: {
        wallSeconds: secondsSince(started),
        // Per update: reference and old-policy (+ value) forwards of the batch, the reward model's
        // when learned, then numPpoEpochs forward + backward passes over it.
        forwardSequences: rollouts * (2 + (options.rewardModelForward ? 1 : 0) + config.numPpoEpochs),
        backwardSequences: rollouts * config.numPpoEpochs,
        sampledCompletions: rollouts,
        sampledTokens: Math.round(responseLengths.reduce((sum, length) => sum + length * config.batchSize, 0)),
      },
      details: finalMetrics(result.history, [...PPO_METRICS, METRIC_NAMES.objectiveEntropy]),
    };
  } catch (error) {
    policy.dispose();
    throw error;
  } finally {
    trainer?.dispose();
  }
}
