export { METRIC_NAMES, type MetricName, type Metrics } from './metric-names.js';
export { preferenceMetricTensors, readMetrics, type PreferenceMetricInputs } from './preference-metrics.js';
export { bucketStatistics, mergeBucketStatistics, bucketMetrics, type BucketStatistics } from './bucketed-metrics.js';
export { MetricAccumulator } from './metric-accumulator.js';
export { EVAL_PREFIX, evalKey } from './eval-metrics.js';
export {
  bootstrapCI,
  bootstrapMeanCI,
  bootstrapPairedDifferenceCI,
  bootstrapGroupedMeanCI,
  perPromptWins,
  quantile,
  type ConfidenceInterval,
  type BootstrapOptions,
} from './bootstrap.js';
