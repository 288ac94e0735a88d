import type * as tf from '@tensorflow/tfjs-core';
import type { NamedVariables } from '@dpo-ts/core';
import type { JsonValue } from '@dpo-ts/core/training';
import type { ParallelTask, ParallelTaskSpec } from '@dpo-ts/core/parallel';
import { GPT, type GPTConfigInput } from '@dpo-ts/lm';
import { ScalarHead } from '@dpo-ts/reward';
import { policyUpdateVariables } from './policy-update-variables.js';
import { ppoLoss, type PPOLossOptions, type PPOUpdateBatch } from './ppo-loss.js';
import type { PPOModels } from './ppo-rollout.js';
import { layoutRows, pickRows } from './rollout-layout.js';

/** The models one PPO update trains: the policy, a separate critic or none, and the value head. */
export type PPOUpdateModels = Pick<PPOModels, 'policy' | 'critic' | 'valueHead'>;

/** Configuration of {@link createPPOUpdateTask}: JSON, so it can build the replica in a worker. */
export type PPOUpdateTaskConfig = {
  /** The policy's GPT configuration (the trainer's `model.config`). */
  readonly policy: GPTConfigInput;
  /** The separate critic's GPT configuration; absent: the value head reads the policy's backbone. */
  readonly critic?: GPTConfigInput;
  /** The value head's shape and variable names (`<name>.kernel` `[inputSize, 1]`, `<name>.bias`). */
  readonly valueHead: {
    /** The value backbone's `dModel`. */
    readonly inputSize: number;
    /** Whether the head has `<name>.bias`. */
    readonly bias: boolean;
    /** The variables' name prefix (PPOTrainer's default head: `'value_head'`). */
    readonly name: string;
  };
  /** The loss settings of the resolved PPO config: `temperature`, `cliprange`, `cliprangeValue`, `vfCoef`. */
  readonly loss: PPOLossOptions;
};

/**
 * The variables a PPO update trains, by checkpoint name: `policy/<GPT name>`, `critic/<GPT
 * name>` with a separate critic, then the value head's own names (`value_head.kernel`,
 * `value_head.bias`). The same map on the main thread (PPOTrainer's optimiser and checkpoints)
 * and in every worker replica.
 */
export function ppoUpdateVariables(models: PPOUpdateModels): NamedVariables {
  const named = new Map<string, tf.Variable>(policyUpdateVariables(models.policy));
  for (const [name, variable] of models.critic?.namedVariables() ?? []) named.set(`critic/${name}`, variable);
  for (const [name, variable] of models.valueHead.namedVariables()) named.set(name, variable);
  return named;
}

/**
 * The rows `rows` of a rollout batch as a micro-batch of their own (typed-array copies, the same
 * padded widths): what {@link createPPOUpdateTask}'s loss reads, on the main thread or, after a
 * `structuredClone`, in a worker. Its loss equals `ppoLoss(models, batch, rows, ...)`.
 */
export function ppoUpdateBatch(batch: PPOUpdateBatch, rows: readonly number[]): PPOUpdateBatch {
  const R = batch.layout.responseLength;
  const pick = (values: Float32Array): Float32Array => pickRows(values, rows, R);
  return {
    layout: layoutRows(batch.layout, rows),
    oldLogProbs: pick(batch.oldLogProbs),
    oldValues: pick(batch.oldValues),
    advantages: pick(batch.advantages),
    returns: pick(batch.returns),
  };
}

/** Rows 0 .. B - 1 of a micro-batch: a {@link ppoUpdateBatch} holds exactly the rows its loss scores. */
export function everyRow(batch: PPOUpdateBatch): number[] {
  return Array.from({ length: batch.layout.batchSize }, (_, i) => i);
}

/**
 * PPO's optimisation loss of one micro-batch (a {@link ppoUpdateBatch}), as a core
 * `ParallelTask`: the policy's forward pass (log-probs at temperature T and, for a shared value
 * head, the hidden states), the critic's when separate, then
 *
 *   loss_k = clippedPolicyLoss + vfCoef * clippedValueLoss   (masked means over the micro-batch's response tokens)
 *
 * ({@link ppoLoss}; Schulman et al. 2017, Eq. 9 without the entropy bonus, as TRL). Each loss is
 * a mean over its own micro-batch, and PPOTrainer averages the micro-batches of a minibatch
 * (`reduction: 'mean'`, TRL's gradient accumulation), so nothing is normalised over the whole
 * minibatch and the task reads no `context.step`. No dropout is drawn (the forward passes run
 * without `training`), so a micro-batch's gradient is the same on every thread.
 *
 * `namedVariables` is {@link ppoUpdateVariables}: every one trainable. `models` are the trainer's
 * own on the main thread; in a worker (no `models`) a policy, a critic and a value head are
 * built from `config` (the engine then overwrites their weights). `dispose()` frees only models
 * the task built. Metrics: TRL's `loss/policy_avg`, `loss/value_avg`, `policy/clipfrac_avg`,
 * `val/clipfrac_avg`, `policy/approxkl_avg`, `val/ratio`, `policy/entropy_avg`.
 *
 * @see TRL `PPOTrainer.train` (the minibatch loop).
 */
export function createPPOUpdateTask(
  config: PPOUpdateTaskConfig,
  models?: PPOUpdateModels,
): ParallelTask<PPOUpdateBatch> {
  const own = models ?? {
    policy: new GPT(config.policy),
    critic: config.critic === undefined ? undefined : new GPT(config.critic),
    valueHead: new ScalarHead({ ...config.valueHead, initStd: 0 }),
  };
  return {
    namedVariables: ppoUpdateVariables(own),
    lossAndMetrics: (batch) => ppoLoss(own, batch, everyRow(batch), config.loss),
    dispose: () => {
      if (models !== undefined) return;
      own.policy.dispose();
      own.critic?.dispose();
      own.valueHead.dispose();
    },
  };
}

/** The JSON config of {@link createPPOUpdateTask} for a trainer's models and resolved loss settings. */
export function ppoUpdateTaskConfig(models: PPOUpdateModels, loss: PPOLossOptions): PPOUpdateTaskConfig {
  const { valueHead } = models;
  return {
    policy: models.policy.config,
    ...(models.critic === undefined ? {} : { critic: models.critic.config }),
    valueHead: { inputSize: valueHead.inputSize, bias: valueHead.hasBias, name: valueHead.name },
    loss: {
      temperature: loss.temperature,
      cliprange: loss.cliprange,
      cliprangeValue: loss.cliprangeValue,
      vfCoef: loss.vfCoef,
    },
  };
}

/** The spec that builds {@link createPPOUpdateTask}(config) in each worker of a core `GradientWorkerPool`. */
export function ppoUpdateTaskSpec(config: PPOUpdateTaskConfig): ParallelTaskSpec {
  return { module: '@dpo-ts/rlhf', export: 'createPPOUpdateTask', config: config as unknown as JsonValue };
}
