import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeMismatchError, requireNumber } from '@dpo-ts/core';
import { klPenalty } from '../kl-estimators.js';

/**
 * How GRPO turns per-token losses into the step's loss (TRL's `loss_type`):
 * - `'grpo'`: mean over each completion's tokens, then mean over completions (DeepSeekMath
 *   Eq. 3); long completions weigh less per token.
 * - `'bnpo'`: sum over the micro-batch's tokens / its token count, then mean over micro-batches.
 * - `'dr_grpo'`: sum over tokens / (completions x `maxCompletionLength`), a constant (Dr. GRPO).
 * - `'dapo'`: sum over tokens / tokens of the whole step (DAPO's token-level mean; TRL's default).
 */
export type GRPOLossType = 'grpo' | 'bnpo' | 'dr_grpo' | 'dapo';

/** Every {@link GRPOLossType}. */
export const GRPO_LOSS_TYPES: readonly GRPOLossType[] = Object.freeze(['grpo', 'bnpo', 'dr_grpo', 'dapo']);

/**
 * Counts over the whole optimiser step (every micro-batch) that fix the loss normalisation, so
 * that the micro-batch losses, summed (`microBatchStep`'s `reduction: 'sum'`), are the step's
 * loss whatever the split into micro-batches.
 */
export interface GroupLossNormalization {
  /** Completions in the optimiser step. */
  readonly sequences: number;
  /** Valid completion tokens in the optimiser step (EOS included). */
  readonly tokens: number;
  /** Micro-batches in the optimiser step. */
  readonly microBatches: number;
  /** The longest completion allowed (`maxCompletionLength`), for `'dr_grpo'`. */
  readonly maxCompletionLength: number;
}

/** Inputs shared by {@link grpoLoss} and {@link rlooLoss}; `[b, T]` are one micro-batch. */
export interface GroupPolicyLossInputs {
  /** log π_θ(y_t) under the current weights, `[b, T]` (differentiated). */
  readonly logProbs: tf.Tensor2D;
  /** log π_old(y_t) of the sampler, `[b, T]` (constant). */
  readonly oldLogProbs: tf.Tensor2D;
  /** One advantage per completion, `[b]`. */
  readonly advantages: tf.Tensor1D;
  /** 1 on valid completion tokens, 0 on padding, `[b, T]`. */
  readonly mask: tf.Tensor2D;
  /** Lower clip ε: ratios below 1 - ε are clipped (TRL's `epsilon`). */
  readonly epsilonLow: number;
  /** Upper clip ε: ratios above 1 + ε are clipped (TRL's `epsilon_high`, DAPO's clip-higher). */
  readonly epsilonHigh: number;
  /** Counts over the whole optimiser step that fix how this micro-batch's token losses are normalised. */
  readonly normalization: GroupLossNormalization;
}

/** What the group losses return; every tensor is new and the caller disposes it. */
export type GroupPolicyLoss = {
  /** This micro-batch's share of the step loss, `[]`: the shares sum to the step's loss. */
  readonly loss: tf.Scalar;
  /**
   * `clip_ratio/low_mean` (ratio < 1 - ε with A < 0), `clip_ratio/high_mean` (ratio > 1 + ε with
   * A > 0), `clip_ratio/region_mean` (either), over tokens (GRPO) or completions (RLOO); and for
   * GRPO with β > 0 `kl`, the masked mean of the k3 estimate. Scalars `[]`.
   */
  readonly metrics: Record<string, tf.Scalar>;
};

/** TRL's metric keys of the clipped objective. */
export const CLIP_RATIO_METRIC_NAMES = {
  /** `clip_ratio/low_mean`: share with ratio < 1 - ε and a negative advantage. */
  low: 'clip_ratio/low_mean',
  /** `clip_ratio/high_mean`: share with ratio > 1 + ε_high and a positive advantage. */
  high: 'clip_ratio/high_mean',
  /** `clip_ratio/region_mean`: share clipped on either side. */
  region: 'clip_ratio/region_mean',
} as const;

function checkShapes(inputs: GroupPolicyLossInputs, extra?: tf.Tensor2D): void {
  const shape = inputs.logProbs.shape;
  for (const [name, tensor] of [
    ['oldLogProbs', inputs.oldLogProbs],
    ['mask', inputs.mask],
    ['referenceLogProbs', extra],
  ] as const) {
    if (tensor !== undefined && tensor.shape.join() !== shape.join())
      throw new ShapeMismatchError(name, shape, tensor.shape);
  }
  if (inputs.advantages.shape[0] !== shape[0])
    throw new ShapeMismatchError('advantages', [shape[0]], inputs.advantages.shape);
  requireNumber('epsilonLow', inputs.epsilonLow, { min: 0 });
  requireNumber('epsilonHigh', inputs.epsilonHigh, { min: 0 });
}

/** -min(ρ A, clip(ρ, 1 - ε_low, 1 + ε_high) A) and the clip indicators, elementwise. */
function clippedSurrogate(
  ratio: tf.Tensor,
  advantages: tf.Tensor,
  epsilonLow: number,
  epsilonHigh: number,
): { loss: tf.Tensor; low: tf.Tensor; high: tf.Tensor } {
  const clipped = tf.clipByValue(ratio, 1 - epsilonLow, 1 + epsilonHigh);
  const loss = tf.neg(tf.minimum(tf.mul(ratio, advantages), tf.mul(clipped, advantages)));
  const low = tf.cast(tf.logicalAnd(tf.less(ratio, 1 - epsilonLow), tf.less(advantages, 0)), 'float32');
  const high = tf.cast(tf.logicalAnd(tf.greater(ratio, 1 + epsilonHigh), tf.greater(advantages, 0)), 'float32');
  return { loss, low, high };
}

/**
 * GRPO's objective, token level, as TRL computes it:
 *
 *   ρ_t  = exp(log π_θ(y_t) - log π_old(y_t))
 *   l_t  = -min(ρ_t A, clip(ρ_t, 1 - ε_low, 1 + ε_high) A) + β k3_t
 *   k3_t = exp(log π_ref(y_t) - log π_θ(y_t)) - (log π_ref(y_t) - log π_θ(y_t)) - 1
 *
 * aggregated by `lossType` ({@link GRPOLossType}) with the step's counts, so that the summed
 * micro-batch shares equal the full-batch loss. The KL term is differentiated (unlike PPO's
 * reward penalty), as in DeepSeekMath Eq. 3.
 *
 * @see Shao et al. 2024, "DeepSeekMath", Eq. 3 and 4; Yu et al. 2025 (DAPO); TRL `GRPOTrainer.compute_loss`.
 * `inputs.referenceLogProbs` (log π_ref(y_t), `[b, T]`) is required when β > 0.
 * @returns new tensors the caller disposes.
 */
export function grpoLoss(
  inputs: GroupPolicyLossInputs & {
    readonly referenceLogProbs?: tf.Tensor2D;
    readonly beta: number;
    readonly lossType: GRPOLossType;
  },
): GroupPolicyLoss {
  checkShapes(inputs, inputs.referenceLogProbs);
  const beta = requireNumber('beta', inputs.beta, { min: 0 });
  if (beta > 0 && inputs.referenceLogProbs === undefined)
    throw new InvalidArgumentError('referenceLogProbs', 'a [b, T] tensor when beta > 0', undefined);
  const { normalization: n, mask, lossType } = inputs;
  return tf.tidy(() => {
    const ratio = tf.exp(tf.sub(inputs.logProbs, inputs.oldLogProbs));
    const advantages = tf.expandDims(inputs.advantages, 1); // [b] -> [b, 1]
    const surrogate = clippedSurrogate(ratio, advantages, inputs.epsilonLow, inputs.epsilonHigh);
    const metrics: Record<string, tf.Scalar> = {};
    let perToken = surrogate.loss;
    const tokens = tf.maximum(tf.sum(mask), 1);
    const maskedMean = (x: tf.Tensor): tf.Scalar => tf.div(tf.sum(tf.mul(x, mask)), tokens) as tf.Scalar;
    if (beta > 0) {
      const kl = klPenalty(inputs.logProbs, inputs.referenceLogProbs!, 'k3');
      perToken = tf.add(perToken, tf.mul(beta, kl));
      metrics.kl = maskedMean(kl);
    }
    const masked = tf.mul(perToken, mask); // [b, T]
    let loss: tf.Tensor;
    if (lossType === 'grpo') {
      const perSequence = tf.div(tf.sum(masked, 1), tf.maximum(tf.sum(mask, 1), 1)); // [b]
      loss = tf.div(tf.sum(perSequence), n.sequences);
    } else if (lossType === 'bnpo') {
      loss = tf.div(tf.div(tf.sum(masked), tokens), n.microBatches);
    } else if (lossType === 'dr_grpo') {
      loss = tf.div(tf.sum(masked), n.sequences * n.maxCompletionLength);
    } else if (lossType === 'dapo') {
      loss = tf.div(tf.sum(masked), Math.max(n.tokens, 1));
    } else {
      throw new InvalidArgumentError('lossType', `one of ${GRPO_LOSS_TYPES.join(', ')}`, lossType);
    }
    metrics[CLIP_RATIO_METRIC_NAMES.low] = maskedMean(surrogate.low);
    metrics[CLIP_RATIO_METRIC_NAMES.high] = maskedMean(surrogate.high);
    metrics[CLIP_RATIO_METRIC_NAMES.region] = maskedMean(tf.add(surrogate.low, surrogate.high));
    return { loss: loss as tf.Scalar, metrics };
  });
}

/**
 * RLOO's objective, sequence level, as TRL computes it: the whole completion is one action.
 *
 *   log ρ = Σ_t mask_t (log π_θ(y_t) - log π_old(y_t))
 *   l     = -min(ρ A, clip(ρ, 1 - ε_low, 1 + ε_high) A)
 *
 * averaged over the step's completions (this micro-batch's share: the sum over its completions
 * divided by `normalization.sequences`). With one update per batch (the default), ρ = 1 and the
 * gradient is REINFORCE's A ∇ log π_θ(y). The KL penalty lives in the reward (see `RLOOTrainer`).
 *
 * @see Ahmadian et al. 2024, Eq. 5; TRL `RLOOTrainer.compute_loss`.
 * @returns new tensors the caller disposes.
 */
export function rlooLoss(inputs: GroupPolicyLossInputs): GroupPolicyLoss {
  checkShapes(inputs);
  return tf.tidy(() => {
    const logRatio = tf.sum(tf.mul(tf.sub(inputs.logProbs, inputs.oldLogProbs), inputs.mask), 1); // [b, T] -> [b]
    const surrogate = clippedSurrogate(tf.exp(logRatio), inputs.advantages, inputs.epsilonLow, inputs.epsilonHigh);
    return {
      loss: tf.div(tf.sum(surrogate.loss), inputs.normalization.sequences) as tf.Scalar,
      metrics: {
        [CLIP_RATIO_METRIC_NAMES.low]: tf.mean(surrogate.low) as tf.Scalar,
        [CLIP_RATIO_METRIC_NAMES.high]: tf.mean(surrogate.high) as tf.Scalar,
        [CLIP_RATIO_METRIC_NAMES.region]: tf.mean(tf.add(surrogate.low, surrogate.high)) as tf.Scalar,
      },
    };
  });
}
