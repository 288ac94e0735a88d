/**
 * `@dpo-ts/core/parallel`: data-parallel training inside one process: micro-batch gradients computed on worker threads,
 * each with its own tfjs engine and a model replica built from a serialisable task spec,
 * parameters and gradients in SharedArrayBuffers, summed on the main thread in a fixed order;
 * and sampling on the same workers.
 * @packageDocumentation
 */
// tfjs-core's gradients, registered once for the process (see ../register-all-gradients.ts).
import '../register-all-gradients.js';
export type {
  MicroBatchContext,
  MicroBatchOutput,
  LossAndMetrics,
  ParallelTask,
  ParallelTaskFactory,
  ParallelTaskSpec,
} from './parallel-task.js';
export type { GradientCall, GradientEngine, MicroBatchResult, StepGradients } from './gradient-engine.js';
export { microBatchGradients, type MicroBatchGradients } from './micro-batch-gradients.js';
export { InProcessGradientEngine } from './in-process-gradient-engine.js';
export { GradientWorkerPool, type GradientWorkerPoolOptions } from './gradient-worker-pool.js';
export { createGradientEngine, type GradientEngineOptions } from './create-gradient-engine.js';
export { withGradientEngine } from './with-gradient-engine.js';
export { OrderedGradientSum } from './ordered-gradient-sum.js';
export {
  parameterLayout,
  assertSameLayout,
  writeParameters,
  readParameters,
  type ParameterLayout,
  type ParameterSlot,
} from './parameter-layout.js';
export { resolveWorkerCount, trainableParameterCount, AUTO_WORKERS_MIN_PARAMETERS } from './worker-count.js';
export { WorkerFailedError } from './worker-failed-error.js';
export type { Sampler, SamplerFactory, SamplerSpec } from './sampler.js';
export { SamplingWorkerPool, type SamplingWorkerPoolOptions } from './sampling-worker-pool.js';
export { SamplingWorkerFailedError } from './sampling-worker-failed-error.js';
export { sampleTasks, resolveSamplingWorkers, type SampleTasksOptions } from './sample-tasks.js';
export {
  STEP_PHASE_METRICS,
  STEP_PHASES_ENV,
  stepPhasesEnabled,
  stepPhaseMetrics,
  phaseMetricsOf,
  secondsSince,
  type StepPhase,
  type StepPhaseSeconds,
} from './step-phases.js';
