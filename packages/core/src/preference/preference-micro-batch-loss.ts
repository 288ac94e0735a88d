import type * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { computePreferenceLoss } from '../losses/compute-preference-loss.js';
import type { PreferenceLossState } from '../losses/preference-loss.js';
import type { ResolvedPreferenceLossConfig } from '../losses/preference-loss-config.js';
import { preferenceMetricTensors } from '../metrics/preference-metrics.js';
import type { LossAndMetrics, MicroBatchContext, MicroBatchOutput } from '../parallel/parallel-task.js';
import type { PairScores } from '../surrogate/pair-scores.js';
import type { PreferenceScorer, ScoreContext } from '../surrogate/preference-scorer.js';
import { pairScoresFromHost, type HostPairScores } from './host-pair-scores.js';

/**
 * One micro-batch of a preference step as the gradient engine sees it: the modality's batch
 * and its reference scores. Plain data, so it crosses to worker threads.
 */
export interface PreferenceMicroBatch<TBatch> {
  /** The modality's batch of pairs (plain data: token ids, images, captions...). */
  readonly batch: TBatch;
  /**
   * The reference scores on the host (computed or cached on the main thread before the step),
   * `null` when reference-free, or {@link REFERENCE_ON_REPLICA}: the worker scores the batch with
   * its own frozen reference replica (see `PreferenceTaskConfig.reference`) and returns the
   * scores among the outputs under {@link REFERENCE_OUTPUT_PREFIX}.
   */
  readonly reference: HostPairScores | null | typeof REFERENCE_ON_REPLICA;
}

/** {@link PreferenceMicroBatch.reference} when the worker's reference replica scores the batch. */
export const REFERENCE_ON_REPLICA = 'replica' as const;

/**
 * Prefix of the reference scores among a micro-batch's outputs when a replica computed them:
 * `reference/chosen`, `reference/rejected`, `reference/chosenLengths`,
 * `reference/rejectedLengths`, `reference/details/<name>` (each `[batch]`).
 */
export const REFERENCE_OUTPUT_PREFIX = 'reference/';

/** Prefix of the policy scores' `details` among a micro-batch's outputs. */
export const SCORE_DETAIL_PREFIX = 'details/';

/**
 * The loss of one batch of pairs and its metric and output tensors: policy scores (on the tape
 * when `context.training`), core's `computePreferenceLoss` against `reference`, TRL's metrics.
 * Outputs: `chosenRewards`, `rejectedRewards` `[batch]` (for bco_pair's running mean) and the
 * policy scores' details under `details/`. The caller owns every tensor.
 *
 * @see Rafailov et al. 2023, Eq. 7 (for `sigmoid`; every loss of core's registry works).
 */
export function preferenceLoss<TBatch>(
  policy: PreferenceScorer<TBatch>,
  batch: TBatch,
  reference: PairScores | null,
  loss: ResolvedPreferenceLossConfig,
  lossState: PreferenceLossState,
  context: ScoreContext,
): MicroBatchOutput {
  const scores = policy.score(batch, context);
  const result = computePreferenceLoss(scores, reference, loss, lossState);
  const metrics = preferenceMetricTensors({
    chosenRewards: result.chosenRewards,
    rejectedRewards: result.rejectedRewards,
    policyChosenScores: scores.chosen,
    policyRejectedScores: scores.rejected,
  });
  const scoreDetails = Object.fromEntries(
    Object.entries(scores.details ?? {}).map(([name, t]) => [`${SCORE_DETAIL_PREFIX}${name}`, t]),
  );
  return {
    loss: result.loss,
    metrics,
    outputs: { chosenRewards: result.chosenRewards, rejectedRewards: result.rejectedRewards, ...scoreDetails },
  };
}

/**
 * The per-micro-batch loss of a preference training step, the one function the main thread
 * and every worker replica run: {@link preferenceLoss} with `training: true`, the micro-batch's
 * position passed to the scorer (its dropout stream derives from it) and the reference scores
 * turned into constant tensors on the tape.
 *
 * @param lossState - the loss state this micro-batch reads (bco_pair's running mean): the
 *   trainer's live state on the main thread; in a worker, the state the step sent.
 * @param referenceScorer - a worker's frozen reference replica: scores micro-batches whose
 *   `reference` is {@link REFERENCE_ON_REPLICA} (`training: false`, on the tape but outside
 *   every gradient path) and adds those scores to the outputs ({@link REFERENCE_OUTPUT_PREFIX}).
 */
export function preferenceMicroBatchLoss<TBatch>(
  policy: PreferenceScorer<TBatch>,
  loss: ResolvedPreferenceLossConfig,
  lossState: (context: MicroBatchContext) => PreferenceLossState,
  referenceScorer?: PreferenceScorer<TBatch>,
): LossAndMetrics<PreferenceMicroBatch<TBatch>> {
  return ({ batch, reference }, context) => {
    const scoreContext = {
      training: true,
      microBatch: { stepIndex: context.stepIndex, microBatchIndex: context.microBatchIndex },
    };
    if (reference !== REFERENCE_ON_REPLICA)
      return preferenceLoss(policy, batch, pairScoresFromHost(reference), loss, lossState(context), scoreContext);
    if (referenceScorer === undefined)
      throw new InvalidArgumentError(
        'micro-batch reference',
        'host scores or null where the task has no reference replica',
        reference,
      );
    // On the tape, but no trainable variable feeds it, so backprop skips it.
    const referenceScores = referenceScorer.score(batch, { training: false });
    const output = preferenceLoss(policy, batch, referenceScores, loss, lossState(context), scoreContext);
    return { ...output, outputs: { ...output.outputs, ...referenceOutputs(referenceScores) } };
  };
}

/** The tensors of `scores` as outputs under {@link REFERENCE_OUTPUT_PREFIX}. */
function referenceOutputs(scores: PairScores): Record<string, tf.Tensor> {
  const { chosen, rejected, chosenLengths, rejectedLengths, details = {} } = scores;
  const outputs: Record<string, tf.Tensor> = { chosen, rejected };
  if (chosenLengths !== undefined) outputs.chosenLengths = chosenLengths;
  if (rejectedLengths !== undefined) outputs.rejectedLengths = rejectedLengths;
  for (const [name, tensor] of Object.entries(details)) outputs[`${SCORE_DETAIL_PREFIX}${name}`] = tensor;
  return Object.fromEntries(Object.entries(outputs).map(([name, t]) => [`${REFERENCE_OUTPUT_PREFIX}${name}`, t]));
}

/**
 * The reference scores a replica returned among a micro-batch's `outputs`
 * ({@link REFERENCE_OUTPUT_PREFIX}), as {@link HostPairScores}.
 * @throws InvalidArgumentError when the outputs hold no reference scores.
 */
export function referenceFromOutputs(outputs: Readonly<Record<string, Float32Array>>): HostPairScores {
  const pick = (name: string) => outputs[`${REFERENCE_OUTPUT_PREFIX}${name}`];
  const chosen = pick('chosen');
  const rejected = pick('rejected');
  if (chosen === undefined || rejected === undefined)
    throw new InvalidArgumentError(
      'outputs',
      `reference scores under ${REFERENCE_OUTPUT_PREFIX}`,
      Object.keys(outputs),
    );
  const chosenLengths = pick('chosenLengths');
  const rejectedLengths = pick('rejectedLengths');
  const detailPrefix = `${REFERENCE_OUTPUT_PREFIX}${SCORE_DETAIL_PREFIX}`;
  const details = Object.entries(outputs)
    .filter(([name]) => name.startsWith(detailPrefix))
    .map(([name, values]) => [name.slice(detailPrefix.length), values] as const);
  return {
    chosen,
    rejected,
    ...(chosenLengths !== undefined ? { chosenLengths } : {}),
    ...(rejectedLengths !== undefined ? { rejectedLengths } : {}),
    ...(details.length > 0 ? { details: Object.fromEntries(details) } : {}),
  };
}
