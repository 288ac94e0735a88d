import * as tf from '@tensorflow/tfjs-core';

import { smoothedLogisticLoss, sortAscending } from './loss-ops.js';
import type { PreferenceLoss } from './preference-loss.js';

/**
 * Alignment via Optimal Transport for unpaired data (TRL `loss_type="aot_unpaired"`, formerly
 * `"aot_pair"`): the chosen and rejected log-ratios are sorted separately over the batch, so the
 * i-th smallest chosen log-ratio is compared with the i-th smallest rejected one and a chosen
 * response never needs its own rejected partner:
 *
 *   delta  = sort(chosenLogRatios) - sort(rejectedLogRatios)        (ascending, over the batch)
 *   loss_i = -(1 - epsilon) * logSigmoid(beta * delta_i) - epsilon * logSigmoid(-beta * delta_i)
 *
 * epsilon = `options.labelSmoothing`. Entry i belongs to the i-th quantile, not to pair i; only
 * the batch mean is meaningful.
 *
 * Naming, precisely: TRL added both AOT losses in PR #1701 as `aot` (paired) and `aot_pair`
 * (unpaired: "for each prompt the chosen and rejected responses do not need to be paired").
 * PR #5038 (2026) renamed `aot_pair` to `aot_unpaired`, keeping `aot_pair` as a deprecated alias
 * slated for removal in TRL 0.29. Our `aot_unpaired` is TRL's `aot_pair` / `aot_unpaired`, and
 * our `aot` is TRL's `aot`; `getPreferenceLoss('aot_pair')` throws and names the new spelling.
 *
 * @see Melnyk et al. 2024, "Distributional Preference Alignment of LLMs via Optimal Transport"
 *   (unpaired AOT); TRL `dpo_loss`, branch `aot_pair` (0.x) / `aot_unpaired` (1.x).
 * @returns per-quantile loss, shape `[batch]`; the caller disposes it.
 */
export const aotUnpairedLoss: PreferenceLoss = {
  type: 'aot_unpaired',
  compute: ({ chosenLogRatios, rejectedLogRatios, beta, options }) =>
    tf.tidy(() => {
      const delta = tf.sub(sortAscending(chosenLogRatios), sortAscending(rejectedLogRatios));
      return smoothedLogisticLoss(tf.mul(beta, delta), options.labelSmoothing);
    }),
};
