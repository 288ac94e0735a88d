import { formatDuration } from '@dpo-ts/core/training';
import type { MethodKind, MethodSpec } from './methods.js';
import type { DiffusionComparisonSettings } from './settings.js';

/**
 * Seconds per unit of work, measured in a quick run on the shared 2-vCPU machine (wasm, one thread, load ~3),
 * used only to weight the phases for the ETA; the ETA then rescales them by the measured pace.
 */
export const WORK_RATES = Object.freeze({
  /** Pair making: DDIM-10 sampling and the JPEG reward, per image. */
  pairImage: 0.0035,
  /** One Diffusion-DPO step of 16 pairs, frozen reference. */
  dpoStep16: 0.1,
  /** One SFT step of 16 images. */
  sftStep16: 0.065,
  /** One DDPO trajectory (10 DDIM steps sampled, then trained). */
  ddpoTrajectory: 0.027,
  /** One epoch of the digit classifier (1,600 images, batch 64). */
  classifierEpoch: 0.65,
  /** One evaluation sample: the method's and the base's DDIM-10 image, rewards, classifier. */
  evalSample: 0.007,
});

/** One phase of a run with its estimated cost. */
export interface PlannedTask {
  readonly key: string;
  readonly estimateSeconds: number;
}

/** Estimated seconds of training `kind` once, from the settings and {@link WORK_RATES}. */
export function trainingEstimate(kind: MethodKind, settings: DiffusionComparisonSettings): number {
  const batchScale = settings.batchSize / 16;
  switch (kind) {
    case 'dpo':
      return settings.trainSteps * WORK_RATES.dpoStep16 * batchScale;
    case 'sft-winners':
    case 'sft-losers':
      return settings.trainSteps * WORK_RATES.sftStep16 * batchScale;
    case 'ddpo':
      return (
        settings.ddpoSteps * settings.ddpoSamplesPerStep * WORK_RATES.ddpoTrajectory * (settings.samplingSteps / 10)
      );
  }
}

/** The plan key of a (reward, seed) cell's task: `pairs` or a method id. */
export function cellTaskKey(reward: string, seed: number, task: string): string {
  return `${reward}/${seed}/${task}`;
}

/**
 * The tasks of a run, in execution order: the digit classifier, then per reward and seed the
 * pairs and each method (training plus its evaluation against the base).
 */
export function planComparison(
  settings: DiffusionComparisonSettings,
  seeds: readonly number[],
  methods: readonly MethodSpec[],
): PlannedTask[] {
  const tasks: PlannedTask[] = [
    { key: 'classifier', estimateSeconds: settings.classifierEpochs * WORK_RATES.classifierEpoch },
  ];
  const evaluation = settings.evalSamples * WORK_RATES.evalSample;
  for (const reward of settings.rewards) {
    for (const seed of seeds) {
      tasks.push({
        key: cellTaskKey(reward, seed, 'pairs'),
        estimateSeconds: 2 * settings.pairs * WORK_RATES.pairImage,
      });
      for (const method of methods)
        tasks.push({
          key: cellTaskKey(reward, seed, method.id),
          estimateSeconds: trainingEstimate(method.kind, settings) + evaluation,
        });
    }
  }
  return tasks;
}

/** Estimated seconds of a whole run (the sum of {@link planComparison}'s estimates). */
export function estimatedSeconds(tasks: readonly PlannedTask[]): number {
  return tasks.reduce((total, task) => total + task.estimateSeconds, 0);
}

/**
 * Keeps the ETA of a run made of planned tasks: before anything finished it is the sum of the
 * estimates; afterwards the remaining estimates are scaled by (seconds spent / estimated seconds
 * of the finished tasks), so a machine twice as slow as the rates shows twice the ETA.
 */
export class WorkPlan {
  private readonly estimates = new Map<string, number>();
  private readonly finished = new Set<string>();
  private readonly started: number;

  constructor(
    tasks: readonly PlannedTask[],
    private readonly now: () => number = () => performance.now(),
  ) {
    for (const task of tasks) {
      if (this.estimates.has(task.key)) throw new Error(`WorkPlan: task ${task.key} is planned twice`);
      this.estimates.set(task.key, Math.max(0, task.estimateSeconds));
    }
    this.started = now();
  }

  /** Seconds since the plan was made. */
  elapsedSeconds(): number {
    return (this.now() - this.started) / 1000;
  }

  /** Marks `key` done. */
  finish(key: string): void {
    if (!this.estimates.has(key)) throw new Error(`WorkPlan: unknown task ${key}`);
    this.finished.add(key);
  }

  /** Estimated seconds left. */
  etaSeconds(): number {
    let done = 0;
    let left = 0;
    for (const [key, estimate] of this.estimates) {
      if (this.finished.has(key)) done += estimate;
      else left += estimate;
    }
    if (done <= 0) return left;
    return left * (this.elapsedSeconds() / done);
  }

  /** `3/12 tasks, 1m05s elapsed, ETA 4m10s`. */
  status(): string {
    return `${this.finished.size}/${this.estimates.size} tasks, ${formatDuration(this.elapsedSeconds())} elapsed, ETA ${formatDuration(this.etaSeconds())}`;
  }
}
