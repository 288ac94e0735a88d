import * as tf from '@tensorflow/tfjs-core';

import { perUnit } from './loss-ops.js';
import type { PreferenceLoss } from './preference-loss.js';

/**
 * Supervised fine-tuning on the chosen response, as a preference-loss component (TRL
 * `loss_type="sft"`, used in multi-loss mixes such as MPO's `["sigmoid", "bco_pair", "sft"]`):
 * the per-unit negative log-likelihood of the chosen response under the policy,
 *
 *   loss = -policyChosenScore / chosenLength
 *
 * Ignores beta, the reference and the rejected response; lengths are clamped to at least 1.
 * Linear in the score, so finite for any finite score.
 *
 * Relation to TRL: TRL's `sft` takes `F.cross_entropy` over all chosen completion tokens of the
 * batch (TRL 0.x via `nll_loss` from `concatenated_forward`, TRL 1.x inline) and broadcasts that
 * scalar to every pair. That is a token-weighted mean, sum of token NLLs / total chosen tokens,
 * whereas the batch mean of our per-pair values weights every pair equally. The two agree when
 * all chosen lengths are equal (and for diffusion, where lengths are 1); otherwise ours gives
 * short responses more weight per token. We keep a genuine per-pair loss so that per-pair
 * weighting and the `losses` output stay meaningful. TRL's older `rpo_alpha` term is the same
 * NLL added to the DPO loss with weight alpha: `lossType: ['sigmoid', 'sft']` with
 * `lossWeights: [1, alpha]` reproduces it (up to the weighting above).
 *
 * The score must be a summed log-likelihood with chosenLength its unit count; with a scorer that
 * already averages (ScoreReduction 'mean'), omit lengths.
 *
 * @see Wang et al. 2024, "Enhancing the Reasoning Ability of Multimodal Large Language Models via
 *   Mixed Preference Optimization" (MPO), the loss mix TRL's `sft` type was added for.
 * @returns per-pair loss, shape `[batch]`; the caller disposes it.
 */
export const sftLoss: PreferenceLoss = {
  type: 'sft',
  compute: ({ policyChosenScores, chosenLengths }) => tf.tidy(() => tf.neg(perUnit(policyChosenScores, chosenLengths))),
};
