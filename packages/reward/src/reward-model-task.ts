import * as tf from '@tensorflow/tfjs-core';
import type { JsonValue } from '@dpo-ts/core/training';
import type { LossAndMetrics, ParallelTask, ParallelTaskSpec } from '@dpo-ts/core/parallel';
import { GPT, type GPTConfigInput } from '@dpo-ts/lm';
import { bradleyTerryRewardLoss } from './reward-loss.js';
import { rewardMetricTensors } from './reward-metrics.js';
import type { RewardBatch } from './reward-pairs.js';
import { SequenceRewardModel } from './sequence-reward-model.js';

/** Configuration of {@link createRewardModelTask}: JSON, so it can build the replica in a worker. */
export type RewardModelTaskConfig = {
  /** The backbone GPT's configuration (`model.backbone.config` of the main thread's model). */
  readonly gpt: GPTConfigInput;
  /** TRL's `center_rewards_coefficient` (the trainer's). @defaultValue undefined (off) */
  readonly centerRewardsCoefficient?: number;
};

/**
 * The per-micro-batch loss of reward-model training, the one function the {@link RewardTrainer}
 * runs on the main thread and every worker replica runs ({@link createRewardModelTask}): the
 * model scores the batch's 2N rows (chosen, then rejected) in one forward pass, then
 *
 *   loss = mean_i -log sigmoid(r_w,i - r_l,i - margin_i) [+ c * mean((r_w + r_l)^2)]
 *
 * ({@link bradleyTerryRewardLoss}) with TRL's metrics (`accuracy`, `margin`, `mean_reward`,
 * `min_reward`, `max_reward`; {@link rewardMetricTensors}), micro-batch means and extremes.
 * No dropout: the loss is a pure function of the batch and the weights.
 *
 * @see Bradley & Terry 1952; Ouyang et al. 2022, Sec. 3.5 (Eq. 1); TRL `RewardTrainer.compute_loss`.
 */
export function rewardLossAndMetrics(
  model: SequenceRewardModel,
  centerRewardsCoefficient: number | undefined,
): LossAndMetrics<RewardBatch> {
  return (batch) => {
    const N = batch.rows.numPairs;
    const rewards = model.score(batch.rows); // [2N]: chosen rows, then rejected rows
    const chosenRewards = tf.slice(rewards, [0], [N]) as tf.Tensor1D;
    const rejectedRewards = tf.slice(rewards, [N], [N]) as tf.Tensor1D;
    const margins = batch.hasMargins ? tf.tensor1d(batch.margins) : undefined;
    const { loss } = bradleyTerryRewardLoss({
      chosenRewards,
      rejectedRewards,
      ...(margins !== undefined ? { margins } : {}),
      ...(centerRewardsCoefficient !== undefined ? { centerRewardsCoefficient } : {}),
    });
    return { loss, metrics: rewardMetricTensors(chosenRewards, rejectedRewards) };
  };
}

/**
 * The Bradley-Terry loss of a {@link SequenceRewardModel} on one {@link RewardBatch}
 * micro-batch, as a core `ParallelTask` (the unit data-parallel workers compute): a fresh
 * reward model on a GPT built from `config.gpt` (its weights, head included, are overwritten by
 * the engine before every step) and {@link rewardLossAndMetrics}. `dispose()` frees the model.
 */
export function createRewardModelTask(config: RewardModelTaskConfig): ParallelTask<RewardBatch> {
  const model = new SequenceRewardModel(new GPT(config.gpt));
  return {
    namedVariables: model.namedVariables(),
    lossAndMetrics: rewardLossAndMetrics(model, config.centerRewardsCoefficient),
    dispose: () => model.dispose(),
  };
}

/** The spec that builds {@link createRewardModelTask}(config) in each worker of a core `GradientWorkerPool`. */
export function rewardModelTaskSpec(config: RewardModelTaskConfig): ParallelTaskSpec {
  return { module: '@dpo-ts/reward', export: 'createRewardModelTask', config: config as unknown as JsonValue };
}
