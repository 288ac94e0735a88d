import * as tf from '@tensorflow/tfjs-core';
import {
  computePreferenceLoss,
  createPreferenceLossState,
  InvalidArgumentError,
  METRIC_NAMES,
  resolvePreferenceLossConfig,
  type PreferenceLossConfig,
  type PreferenceLossState,
  type ScoreReduction,
} from '@dpo-ts/core';
import { mixSeeds, Rng, type JsonValue } from '@dpo-ts/core/training';
import type { ParallelTask, ParallelTaskSpec } from '@dpo-ts/core/parallel';
import type { GPTConfigInput } from './gpt-config.js';
import { GPT } from './gpt-model.js';
import { LMPreferenceScorer } from './lm-preference-scorer.js';
import type { LMPreferenceBatch } from './preference-batch.js';

/** Configuration of {@link createGPTDPOTask}: JSON, so it can build the replica in a worker. */
export type GPTDPOTaskConfig = {
  /** The configuration of the policy and of the reference (the same architecture). */
  readonly gpt: GPTConfigInput;
  /** The preference loss (`lossType`, `beta`, ...). @defaultValue core's defaults (sigmoid, beta 0.1) */
  readonly loss?: Partial<PreferenceLossConfig>;
  /** How token log-probs make a score. @defaultValue 'sum' */
  readonly reduction?: ScoreReduction;
  /** Seed of the policy's dropout streams, mixed with the step and micro-batch indices. @defaultValue 42 */
  readonly seed?: number;
};

/** Name prefix of the frozen reference's variables in the task's `namedVariables`. */
export const GPT_DPO_REFERENCE_PREFIX = 'reference.';

/** The step-wide JSON this task reads: bco_pair's running mean, frozen for the step. */
type StepJSON = { readonly lossState?: PreferenceLossState } | null;

/**
 * The DPO loss of a GPT policy against a frozen GPT reference on one {@link LMPreferenceBatch}
 * micro-batch, as a core `ParallelTask`: both forward passes (the reference's without a tape)
 * and core's `computePreferenceLoss` in the worker, so a data-parallel step spreads the whole
 * DPO cost.
 *
 *   loss_k = mean_pairs sum_j w_j loss_j(beta, policy - reference log-ratios)   (Rafailov et al. 2023, Eq. 7 for sigmoid)
 *
 * `namedVariables`: the policy's (trainable) then the reference's under
 * {@link GPT_DPO_REFERENCE_PREFIX} (non-trainable; the pool copies them to the replicas at every
 * call, so a TR-DPO sync reaches them). Metrics: TRL's `rewards/chosen`, `rewards/rejected`,
 * `rewards/margins`, `rewards/accuracies` (micro-batch means); outputs `chosenRewards`,
 * `rejectedRewards` `[numPairs]`. Stateful variants (bco_pair) read the running state from
 * `context.step.lossState`, fixed for the step.
 *
 * `policy` and `reference` are the trainer's own on the main thread (the reference's variables
 * must be frozen, e.g. lm's `frozenCopy`); in a worker both are built from `config.gpt`.
 * `dispose()` frees only models the task built.
 */
export function createGPTDPOTask(
  config: GPTDPOTaskConfig,
  policy?: GPT,
  reference?: GPT,
): ParallelTask<LMPreferenceBatch> {
  const policyModel = policy ?? new GPT(config.gpt);
  const referenceModel = reference ?? new GPT(config.gpt);
  if (reference === undefined)
    for (const variable of referenceModel.namedVariables().values()) variable.trainable = false;
  for (const [name, variable] of referenceModel.namedVariables()) {
    if (variable.trainable)
      throw new InvalidArgumentError(`reference variable ${name}`, 'frozen (trainable: false; see frozenCopy)', true);
  }
  const namedVariables = new Map([
    ...policyModel.namedVariables(),
    ...[...referenceModel.namedVariables()].map(
      ([name, variable]) => [`${GPT_DPO_REFERENCE_PREFIX}${name}`, variable] as const,
    ),
  ]);
  const lossConfig = resolvePreferenceLossConfig(config.loss ?? {});
  const reduction = config.reduction ?? 'sum';
  const seed = config.seed ?? 42;
  const referenceScorer = new LMPreferenceScorer(referenceModel, { reduction, trainable: false });
  return {
    namedVariables,
    lossAndMetrics(batch, context) {
      const rng =
        policyModel.config.dropout > 0
          ? new Rng(mixSeeds(seed, context.stepIndex, context.microBatchIndex))
          : undefined;
      const policyScores = new LMPreferenceScorer(policyModel, { reduction, ...(rng ? { rng } : {}) }).score(batch, {
        training: true,
      });
      const referenceScores = referenceScorer.score(batch, { training: false });
      const state = (context.step as StepJSON)?.lossState ?? createPreferenceLossState();
      const { loss, chosenRewards, rejectedRewards } = computePreferenceLoss(
        policyScores,
        referenceScores,
        lossConfig,
        { ...state },
      );
      return {
        loss,
        metrics: {
          [METRIC_NAMES.rewardsChosen]: tf.mean(chosenRewards) as tf.Scalar,
          [METRIC_NAMES.rewardsRejected]: tf.mean(rejectedRewards) as tf.Scalar,
          [METRIC_NAMES.rewardsMargins]: tf.mean(tf.sub(chosenRewards, rejectedRewards)) as tf.Scalar,
          [METRIC_NAMES.rewardsAccuracies]: tf.mean(
            tf.cast(tf.greater(chosenRewards, rejectedRewards), 'float32'),
          ) as tf.Scalar,
        },
        outputs: { chosenRewards, rejectedRewards },
      };
    },
    dispose: () => {
      if (policy === undefined) policyModel.dispose();
      if (reference === undefined) referenceModel.dispose();
    },
  };
}

/** The spec that builds {@link createGPTDPOTask}(config) in each worker of a core `GradientWorkerPool`. */
export function gptDPOTaskSpec(config: GPTDPOTaskConfig): ParallelTaskSpec {
  return { module: '@dpo-ts/lm', export: 'createGPTDPOTask', config: config as unknown as JsonValue };
}
