import type { Benchmark } from './harness/benchmark.js';
import { diffusionComparisonBenchmark } from './diffusion/index.js';
import { gradientOverridesBenchmark } from './gradient-overrides-benchmark.js';
import { lossVariantsBenchmark } from './loss-variants/index.js';
import { sentimentFrontierBenchmark } from './sentiment/index.js';
import { textToImageComparisonBenchmark } from './text-to-image/index.js';
import { throughputBenchmark } from './throughput/index.js';

/**
 * Every benchmark of the suite, in the order `dpo-ts bench` runs them: the comparisons of DPO
 * with the older methods first (the point of the suite), then speed.
 */
export const BENCHMARKS: readonly Benchmark[] = [
  sentimentFrontierBenchmark,
  diffusionComparisonBenchmark,
  textToImageComparisonBenchmark,
  lossVariantsBenchmark,
  throughputBenchmark,
  gradientOverridesBenchmark,
];
