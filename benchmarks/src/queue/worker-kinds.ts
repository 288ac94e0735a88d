import { JobKindRegistry } from '@dpo-ts/queue';
import type { Benchmark } from '../harness/benchmark.js';
import { benchCellKind } from './bench-cell-kind.js';
import { diffusionPairsKind } from '../data-jobs/diffusion-pairs-kind.js';
import { diffusionReferenceKind } from '../data-jobs/diffusion-reference-kind.js';
import { lmReferenceKind } from '../data-jobs/lm-reference-kind.js';
import { lmSampleKind } from '../data-jobs/lm-samples-kind.js';
import { tabularReferenceKind } from './tabular-reference-kind.js';

/** Every job kind a `dpo-ts worker` runs: benchmark cells of `benchmarks` and the data jobs. */
export function workerKinds(benchmarks: readonly Benchmark[]): JobKindRegistry {
  return new JobKindRegistry([
    benchCellKind(benchmarks),
    tabularReferenceKind,
    lmReferenceKind,
    diffusionReferenceKind,
    lmSampleKind('pairs'),
    lmSampleKind('best-of-n'),
    lmSampleKind('evaluate'),
    diffusionPairsKind,
  ]);
}
