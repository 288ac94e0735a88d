import * as tf from '@tensorflow/tfjs-core';
import {
  computePreferenceLoss,
  createPreferenceLossState,
  preferenceMetricTensors,
  type PreferenceLossState,
  type ResolvedPreferenceLossConfig,
} from '@dpo-ts/core';
import type { JsonValue } from '@dpo-ts/core/training';
import type { MicroBatchOutput, ParallelTask, ParallelTaskSpec } from '@dpo-ts/core/parallel';
import { GPT, type GPTConfigInput } from '@dpo-ts/lm';
import { policyUpdateVariables } from '../policy-update-variables.js';
import { responseLogProbs } from '../response-forward.js';
import { layoutRows, rolloutTensors, type RolloutLayout } from '../rollout-layout.js';
import type { OnlinePairBatch } from './online-dpo-rollout.js';

/**
 * One micro-batch of an online DPO update as plain arrays (it survives `structuredClone`, so it
 * can cross to a worker thread): the b chosen completions' rows, then the b rejected ones'.
 */
export interface OnlineDPOUpdateBatch {
  /** `[2b]` rows: chosen completions first, then the rejected ones, in pair order. */
  readonly layout: RolloutLayout;
  /** The frozen reference's sum of completion log-probs of each row, `[2b]` (chosen, then rejected). */
  readonly referenceScores: Float32Array;
}

/** Configuration of {@link createOnlineDPOUpdateTask}: JSON, so it can build the replica in a worker. */
export type OnlineDPOUpdateTaskConfig = {
  /** The policy's GPT configuration (the trainer's `model.config`). */
  readonly gpt: GPTConfigInput;
  /** The resolved preference loss (`lossType`, `beta`, ...: the trainer's `config.loss`). */
  readonly loss: ResolvedPreferenceLossConfig;
};

/** The step-wide JSON an online DPO micro-batch reads: the loss state, frozen for the step. */
type StepJSON = { readonly lossState?: PreferenceLossState } | null;

/** Pairs `pairIndices` of a labelled batch as an {@link OnlineDPOUpdateBatch} (rows copied). */
export function onlineDPOUpdateBatch(batch: OnlinePairBatch, pairIndices: readonly number[]): OnlineDPOUpdateBatch {
  const rows = [
    ...pairIndices.map((i) => batch.pairs.chosenRows[i]!),
    ...pairIndices.map((i) => batch.pairs.rejectedRows[i]!),
  ];
  return {
    layout: layoutRows(batch.layout, rows),
    referenceScores: Float32Array.from(rows, (row) => batch.referenceScores[row]!),
  };
}

/**
 * The DPO loss of one micro-batch of freshly sampled pairs under `model`'s current weights:
 * score = sum of the completion's token log-probs (temperature 1, padding masked), against the
 * reference's scores computed at sampling time, through core's `computePreferenceLoss`:
 *
 *   loss_k = mean_pairs loss(beta, (s_chosen - s_ref,chosen) - (s_rejected - s_ref,rejected))   (Rafailov et al. 2023, Eq. 7 for sigmoid)
 *
 * `lossState` (the running means of stateful variants, bco_pair's) is read, never updated: the
 * trainer updates it once per step. Metrics: core's `preferenceMetricTensors` (TRL's
 * `rewards/*`, `logps/*`).
 *
 * @see Guo et al. 2024, "Direct Language Model Alignment from Online AI Feedback"; TRL `OnlineDPOTrainer`.
 * @returns new tensors the caller disposes; the loss is differentiable in `model`'s variables.
 */
export function onlineDPOUpdateLoss(
  model: GPT,
  batch: OnlineDPOUpdateBatch,
  loss: ResolvedPreferenceLossConfig,
  lossState: PreferenceLossState,
): MicroBatchOutput {
  return tf.tidy(() => {
    const b = batch.layout.batchSize / 2;
    const inputs = rolloutTensors(batch.layout);
    const logProbs = responseLogProbs(model, inputs, 1).logProbs;
    const scores = tf.sum(tf.mul(logProbs, inputs.responseMask), 1); // [2b, T] -> [2b]
    const lengths = tf.sum(inputs.responseMask, 1);
    const half = (x: tf.Tensor, first: boolean) => tf.slice(x, [first ? 0 : b], [b]) as tf.Tensor1D;
    const policy = {
      chosen: half(scores, true),
      rejected: half(scores, false),
      chosenLengths: half(lengths, true),
      rejectedLengths: half(lengths, false),
    };
    const referenceScores = tf.tensor1d(batch.referenceScores);
    const reference = { chosen: half(referenceScores, true), rejected: half(referenceScores, false) };
    const result = computePreferenceLoss(policy, reference, loss, { ...lossState });
    return {
      loss: result.loss,
      metrics: preferenceMetricTensors({
        chosenRewards: result.chosenRewards,
        rejectedRewards: result.rejectedRewards,
        policyChosenScores: policy.chosen,
        policyRejectedScores: policy.rejected,
      }),
    };
  });
}

/**
 * Online DPO's loss of one micro-batch ({@link onlineDPOUpdateLoss}) as a core `ParallelTask`.
 * The loss state arrives as `context.step.lossState`, fixed for the step. The forward pass runs
 * without `training` (no dropout), so a micro-batch's gradient is the same on every thread.
 * `namedVariables`: `policy/<GPT name>` ({@link policyUpdateVariables}); `model` is the trainer's
 * policy on the main thread, a GPT built from `config.gpt` in a worker. `dispose()` frees only a
 * model the task built.
 */
export function createOnlineDPOUpdateTask(
  config: OnlineDPOUpdateTaskConfig,
  model?: GPT,
): ParallelTask<OnlineDPOUpdateBatch> {
  const policy = model ?? new GPT(config.gpt);
  return {
    namedVariables: policyUpdateVariables(policy),
    lossAndMetrics: (batch, context) =>
      onlineDPOUpdateLoss(
        policy,
        batch,
        config.loss,
        (context.step as StepJSON)?.lossState ?? createPreferenceLossState(),
      ),
    dispose: () => {
      if (model === undefined) policy.dispose();
    },
  };
}

/** The spec that builds {@link createOnlineDPOUpdateTask}(config) in each worker of a core `GradientWorkerPool`. */
export function onlineDPOUpdateTaskSpec(config: OnlineDPOUpdateTaskConfig): ParallelTaskSpec {
  return { module: '@dpo-ts/rlhf', export: 'createOnlineDPOUpdateTask', config: config as unknown as JsonValue };
}
