import * as tf from '@tensorflow/tfjs-core';
import type { JsonValue } from '@dpo-ts/core/training';
import type { MicroBatchContext, ParallelTask, ParallelTaskSpec } from '@dpo-ts/core/parallel';
import { GPT, type GPTConfigInput } from '@dpo-ts/lm';
import { policyUpdateVariables } from '../policy-update-variables.js';
import { responseLogProbs } from '../response-forward.js';
import { layoutRows, pickRows, rolloutTensors, type RolloutLayout } from '../rollout-layout.js';
import {
  grpoLoss,
  rlooLoss,
  type GroupLossNormalization,
  type GroupPolicyLoss,
  type GRPOLossType,
} from './group-policy-loss.js';

/** Which clipped objective a group update optimises, with its settings (the resolved config's). */
export type GroupLossSettings =
  | {
      /** RLOO's sequence-level clipped objective ({@link rlooLoss}). */
      readonly kind: 'rloo';
      /** Lower clip ε (TRL's `epsilon`). */
      readonly epsilon: number;
      /** Upper clip ε (TRL's `epsilon_high`). */
      readonly epsilonHigh: number;
    }
  | {
      /** GRPO's token-level clipped objective ({@link grpoLoss}). */
      readonly kind: 'grpo';
      /** Lower clip ε (TRL's `epsilon`). */
      readonly epsilon: number;
      /** Upper clip ε (TRL's `epsilon_high`). */
      readonly epsilonHigh: number;
      /** KL coefficient β of the k3 penalty to the reference (0: none). */
      readonly beta: number;
      /** How token losses are aggregated (TRL's `loss_type`). */
      readonly lossType: GRPOLossType;
    };

/**
 * One micro-batch of a group update as plain typed arrays (it survives `structuredClone`, so
 * it can cross to a worker thread): the completions' rows and one advantage per completion.
 */
export interface GroupUpdateBatch {
  /** The micro-batch's rows, with the rollout's padded widths. */
  readonly layout: RolloutLayout;
  /** log π_old(y_t) of the sampler, `[b, T]`. */
  readonly oldLogProbs: Float32Array;
  /** log π_ref(y_t), `[b, T]`, when the rollout ran the reference. */
  readonly referenceLogProbs: Float32Array | undefined;
  /** One advantage per completion, `[b]`. */
  readonly advantages: Float32Array;
}

/** Configuration of {@link createGroupUpdateTask}: JSON, so it can build the replica in a worker. */
export type GroupUpdateTaskConfig = {
  /** The policy's GPT configuration (the trainer's `model.config`). */
  readonly gpt: GPTConfigInput;
  /** The sampling temperature T: log-probs are of softmax(logits / T). */
  readonly temperature: number;
  /** The objective and its settings. */
  readonly loss: GroupLossSettings;
};

/**
 * The rows `rows` of a group rollout (`layout`, `oldLogProbs`, `referenceLogProbs`) with their
 * advantages, copied as a {@link GroupUpdateBatch}.
 */
export function groupUpdateBatch(
  rollout: Pick<GroupUpdateBatch, 'layout' | 'oldLogProbs' | 'referenceLogProbs'>,
  advantages: readonly number[],
  rows: readonly number[],
): GroupUpdateBatch {
  const T = rollout.layout.responseLength;
  return {
    layout: layoutRows(rollout.layout, rows),
    oldLogProbs: pickRows(rollout.oldLogProbs, rows, T),
    referenceLogProbs:
      rollout.referenceLogProbs === undefined ? undefined : pickRows(rollout.referenceLogProbs, rows, T),
    advantages: Float32Array.from(rows, (row) => advantages[row]!),
  };
}

/**
 * The loss of one group micro-batch under `model`'s current weights: log π_θ of the completion
 * tokens at temperature T (one forward pass), then RLOO's or GRPO's clipped objective
 * normalised by `normalization`, the counts of the whole optimiser step (so the micro-batch
 * losses, summed, are the step's loss whatever the split or the thread that computes each).
 *
 * @returns new tensors the caller disposes; differentiable in the model's variables.
 */
export function groupUpdateLoss(
  model: GPT,
  batch: GroupUpdateBatch,
  normalization: GroupLossNormalization,
  temperature: number,
  settings: GroupLossSettings,
): GroupPolicyLoss {
  return tf.tidy(() => {
    const { batchSize: b, responseLength: T } = batch.layout;
    const inputs = rolloutTensors(batch.layout);
    const current = responseLogProbs(model, inputs, temperature);
    const shared = {
      logProbs: tf.mul(current.logProbs, inputs.responseMask) as tf.Tensor2D,
      oldLogProbs: tf.tensor2d(batch.oldLogProbs, [b, T]),
      advantages: tf.tensor1d(batch.advantages),
      mask: inputs.responseMask,
      normalization,
      epsilonLow: settings.epsilon,
      epsilonHigh: settings.epsilonHigh,
    };
    if (settings.kind === 'rloo') return rlooLoss(shared);
    const referenceLogProbs =
      batch.referenceLogProbs === undefined ? undefined : tf.tensor2d(batch.referenceLogProbs, [b, T]);
    return grpoLoss({
      ...shared,
      ...(referenceLogProbs === undefined ? {} : { referenceLogProbs }),
      beta: settings.beta,
      lossType: settings.lossType,
    });
  });
}

/** The step-wide normalisation a group micro-batch's loss reads from its context (`GradientCall.step`). */
export function groupNormalizationOf(context: MicroBatchContext): GroupLossNormalization {
  return context.step as unknown as GroupLossNormalization;
}

/**
 * RLOO's or GRPO's loss of one micro-batch ({@link groupUpdateLoss}), as a core `ParallelTask`:
 * the unit data-parallel workers compute. The step's counts ({@link GroupLossNormalization})
 * arrive as `context.step`, computed once on the main thread over the whole generation batch;
 * micro-batch losses are summed (`reduction: 'sum'`). No dropout is drawn (the forward pass runs
 * without `training`), so a micro-batch's gradient is the same on every thread.
 *
 * `namedVariables`: {@link policyUpdateVariables}. `model` is the trainer's policy on the main
 * thread; in a worker a GPT is built from `config.gpt` (the engine overwrites its weights).
 * `dispose()` frees only a model the task built.
 *
 * @see Ahmadian et al. 2024 (RLOO); Shao et al. 2024, Eq. 3 (GRPO); TRL `RLOOTrainer`, `GRPOTrainer`.
 */
export function createGroupUpdateTask(config: GroupUpdateTaskConfig, model?: GPT): ParallelTask<GroupUpdateBatch> {
  const policy = model ?? new GPT(config.gpt);
  return {
    namedVariables: policyUpdateVariables(policy),
    lossAndMetrics: (batch, context) =>
      groupUpdateLoss(policy, batch, groupNormalizationOf(context), config.temperature, config.loss),
    dispose: () => {
      if (model === undefined) policy.dispose();
    },
  };
}

/** The spec that builds {@link createGroupUpdateTask}(config) in each worker of a core `GradientWorkerPool`. */
export function groupUpdateTaskSpec(config: GroupUpdateTaskConfig): ParallelTaskSpec {
  return { module: '@dpo-ts/rlhf', export: 'createGroupUpdateTask', config: config as unknown as JsonValue };
}
