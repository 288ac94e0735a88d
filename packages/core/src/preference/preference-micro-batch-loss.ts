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
 * and its reference scores on the host (computed or cached on the main thread before the
 * step; `null` when reference-free). Plain data, so it crosses to worker threads.
 */
export interface PreferenceMicroBatch<TBatch> {
  /** The modality's batch of pairs (plain data: token ids, images, captions...). */
  readonly batch: TBatch;
  /** Reference scores of the same pairs, read to the host; `null` when the loss is reference-free. */
  readonly reference: HostPairScores | null;
}

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
 */
export function preferenceMicroBatchLoss<TBatch>(
  policy: PreferenceScorer<TBatch>,
  loss: ResolvedPreferenceLossConfig,
  lossState: (context: MicroBatchContext) => PreferenceLossState,
): LossAndMetrics<PreferenceMicroBatch<TBatch>> {
  return ({ batch, reference }, context) =>
    preferenceLoss(policy, batch, pairScoresFromHost(reference), loss, lossState(context), {
      training: true,
      microBatch: { stepIndex: context.stepIndex, microBatchIndex: context.microBatchIndex },
    });
}
