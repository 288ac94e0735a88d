import type * as tf from '@tensorflow/tfjs-core';

/**
 * Every preference loss dpo-ts implements, by TRL's `loss_type` names
 * (huggingface/trl, `trl/trainer/dpo_trainer.py`), so results compare with PyTorch runs.
 */
export type PreferenceLossType =
  | 'sigmoid'
  | 'robust'
  | 'ipo'
  | 'hinge'
  | 'exo_pair'
  | 'nca_pair'
  | 'bco_pair'
  | 'sppo_hard'
  | 'aot'
  | 'aot_unpaired'
  | 'apo_zero'
  | 'apo_down'
  | 'discopop'
  | 'sigmoid_norm'
  | 'sft';

/**
 * Hyper-parameters the loss variants read. Validated once by `resolvePreferenceLossConfig`.
 */
export interface PreferenceLossOptions {
  /**
   * Label-noise epsilon in [0, 0.5), read by `sigmoid` (cDPO), `robust`, `exo_pair` (which uses
   * 1e-3 when this is 0), `aot` and `aot_unpaired`; TRL's `label_smoothing`. @defaultValue 0
   */
  readonly labelSmoothing: number;
  /**
   * IPO: divide each log-ratio by the response length before the loss (TRL's convention, in
   * its `concatenated_forward` in 0.x and in the `ipo` branch in 1.x), or use summed log-ratios
   * (the IPO paper's h). Affects `ipo` only.
   * @defaultValue true
   */
  readonly ipoNormalizeLength: boolean;
  /** DiscoPOP temperature tau > 0 (Chris Lu et al. 2024, Eq. 5; TRL's `discopop_tau`). @defaultValue 0.05 */
  readonly discopopTau: number;
  /** SimPO-style target margin gamma for `sigmoid_norm` (Meng et al. 2024, Eq. 6). @defaultValue 0 */
  readonly simpoGamma: number;
}

/**
 * State some losses carry across steps; plain numbers, saved in checkpoints.
 * `bco_pair` keeps a running mean of rewards as its shift delta (TRL's `RunningMoments`).
 * Losses only read it; `updatePreferenceLossState` writes it once per step, after the step.
 */
export interface PreferenceLossState {
  /** Running mean of the per-step batch mean reward (beta * log-ratio, chosen and rejected). */
  bcoRunningMean: number;
  /** Number of steps folded into {@link PreferenceLossState.bcoRunningMean}. */
  bcoRunningCount: number;
}

/**
 * What a loss variant sees for one batch. All tensors are `[batch]`, owned by the caller,
 * and must not be disposed by the loss.
 */
export interface PreferenceLossContext {
  /** log pi(y_w|x) - log pi_ref(y_w|x): policy minus reference score of the chosen side. */
  readonly chosenLogRatios: tf.Tensor1D;
  /** log pi(y_l|x) - log pi_ref(y_l|x). */
  readonly rejectedLogRatios: tf.Tensor1D;
  /** log pi(y_w|x): the policy's score of the chosen response (on the gradient tape). */
  readonly policyChosenScores: tf.Tensor1D;
  /** log pi(y_l|x): the policy's score of the rejected response (on the gradient tape). */
  readonly policyRejectedScores: tf.Tensor1D;
  /** Zeros in reference-free mode. */
  readonly referenceChosenScores: tf.Tensor1D;
  /** log pi_ref(y_l|x): the reference's score of the rejected response; zeros in reference-free mode. */
  readonly referenceRejectedScores: tf.Tensor1D;
  /**
   * Scored units per response (tokens, or 1); ones when the scorer gave none. Losses that
   * normalise by length clamp it to at least 1 (TRL's `clamp(min=1.0)`).
   */
  readonly chosenLengths: tf.Tensor1D;
  /** Scored units of each rejected response, as {@link PreferenceLossContext.chosenLengths}. */
  readonly rejectedLengths: tf.Tensor1D;
  /** The DPO temperature beta (>= 0). */
  readonly beta: number;
  /** The variants' hyper-parameters (label smoothing, DiscoPOP tau, ...), already validated. */
  readonly options: PreferenceLossOptions;
  /** Cross-step state; losses read it (never write it) and those that keep none ignore it. */
  readonly state: PreferenceLossState;
}

/**
 * One loss variant: a pure function of the log-ratios (and sometimes scores and lengths) to a
 * per-pair loss.
 */
export interface PreferenceLoss {
  /** TRL's `loss_type` name of this variant; its key in {@link PREFERENCE_LOSSES}. */
  readonly type: PreferenceLossType;
  /**
   * Per-pair loss, shape `[batch]`. Must be differentiable in the policy scores and finite for
   * finite inputs of any size. The caller disposes the returned tensor.
   */
  compute(context: PreferenceLossContext): tf.Tensor1D;
}
