/**
 * The percentile bootstrap of the benchmarks, now in @dpo-ts/core (the model card of
 * @dpo-ts/diffusion uses it too); re-exported here so the benchmarks' imports stay put.
 */
export {
  bootstrapCI,
  bootstrapMeanCI,
  bootstrapPairedDifferenceCI,
  bootstrapGroupedMeanCI,
  perPromptWins,
  quantile,
  type ConfidenceInterval,
  type BootstrapOptions,
} from '@dpo-ts/core';
