/**
 * The phases of one data-parallel optimiser step, in seconds, as metric keys (`time/*`, the
 * prefix PPO's phase timings use). Recorded only when {@link stepPhasesEnabled}: timing costs a
 * little and the keys would make the metrics of two otherwise identical runs differ.
 *
 * - `reference`: the preference trainer's reference scores on the main thread (frozen forward
 *   passes or cache reads; 0 when the workers compute them).
 * - `publish`: copying the canonical weights into the shared parameter buffer.
 * - `load`: a worker copying the shared parameters into its replica (mean over workers).
 * - `compute`: forward and backward of the micro-batches (sum over a worker's micro-batches,
 *   mean over workers; the in-process engine's total on the main thread).
 * - `copy`: a worker writing its gradients into a shared slot (mean over workers).
 * - `idle`: a worker's wait from the call's start to the last worker's end, minus its own work
 *   (mean over workers): load imbalance, slot waits and message latency.
 * - `reduce`: the ordered sum of the gradient buffers (done by the workers, whichever holds the
 *   next gradient; seconds summed over them) and its conversion to tensors on the main thread;
 *   the in-process engine's tensor accumulation.
 * - `gradients`: the whole gradient call (publish to the last summed micro-batch).
 * - `apply`: clipping, the non-finite guard and AdamW.
 */
export const STEP_PHASE_METRICS = {
  /** Seconds the main thread spent scoring the frozen reference (0 when replicas score it). */
  reference: 'time/reference',
  /** Seconds copying the policy's (and reference's) weights into shared memory. */
  publish: 'time/publish',
  /** Seconds a worker spent copying shared weights into its replica (mean over workers). */
  load: 'time/load',
  /** Seconds of forward + backward over a worker's micro-batches (mean over workers). */
  compute: 'time/compute',
  /** Seconds a worker spent writing its gradients into shared slots (mean over workers). */
  copy: 'time/copy',
  /** Seconds a worker waited for the rest of the step (mean over workers). */
  idle: 'time/idle',
  /**
   * The part of `idle` from the main thread posting the call to a worker starting it: message
   * delivery and the thread waking up (mean over workers).
   */
  wake: 'time/wake',
  /**
   * The part of `idle` from a worker's end of its last micro-batch (its last gradient handed
   * over) to the last worker's: the imbalance between workers (mean over workers; 0 for the
   * last one).
   */
  imbalance: 'time/imbalance',
  /** Seconds of the ordered gradient sum (all workers together) and its conversion to tensors. */
  reduce: 'time/reduce',
  /** Seconds of the whole gradient call, from publish to the last summed micro-batch. */
  gradients: 'time/gradients',
  /** Seconds of clipping, the non-finite guard and AdamW. */
  apply: 'time/apply',
} as const;

/** A phase of {@link STEP_PHASE_METRICS}. */
export type StepPhase = keyof typeof STEP_PHASE_METRICS;

/** Seconds per phase of one step; phases not measured are absent. */
export type StepPhaseSeconds = Partial<Record<StepPhase, number>>;

/** The environment variable that turns phase timings on: `DPO_TS_STEP_PHASES=1`. */
export const STEP_PHASES_ENV = 'DPO_TS_STEP_PHASES';

/**
 * Whether steps record their phases ({@link STEP_PHASE_METRICS}): `DPO_TS_STEP_PHASES=1` in
 * the environment (worker threads inherit it). Off by default; benchmarks turn it on.
 */
export function stepPhasesEnabled(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.[STEP_PHASES_ENV] === '1';
}

/** Seconds since `start` (a `performance.now()` reading). */
export function secondsSince(start: number): number {
  return (performance.now() - start) / 1000;
}

/** The `time/*` metrics of `phases`. */
export function stepPhaseMetrics(phases: StepPhaseSeconds): Record<string, number> {
  return Object.fromEntries(
    Object.entries(phases).map(([phase, seconds]) => [STEP_PHASE_METRICS[phase as StepPhase], seconds]),
  );
}

const PHASE_METRIC_NAMES: ReadonlySet<string> = new Set(Object.values(STEP_PHASE_METRICS));

/**
 * The phase metrics ({@link STEP_PHASE_METRICS}) among `metrics`, e.g. of core's
 * `microBatchStep`, for a trainer that builds its own metrics from the step's parts; empty
 * unless phases are enabled ({@link stepPhasesEnabled}).
 */
export function phaseMetricsOf(metrics: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).filter(([name]) => PHASE_METRIC_NAMES.has(name)));
}
