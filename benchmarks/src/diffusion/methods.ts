import type { Denoiser, NoiseSchedule } from '@dpo-ts/diffusion';
import type { DiffusionComparisonSettings } from './settings.js';

/** What a method trains on and how. */
export type MethodKind = 'dpo' | 'ddpo' | 'sft-winners' | 'sft-losers';

/** One trained model of a (reward, seed) cell. */
export interface MethodSpec {
  /** Stable key in JSON and plots: `dpo-b5000`, `ddpo`, `sft-winners`, `sft-losers`. */
  readonly id: string;
  readonly kind: MethodKind;
  /** Human label: `Diffusion-DPO β=5000`. */
  readonly label: string;
  /** Diffusion-DPO's beta. */
  readonly beta?: number;
}

/** The base model's id in tables and plots. */
export const BASE_METHOD_ID = 'base';

/**
 * The methods of a run, in report order: Diffusion-DPO at each beta, DDPO, SFT on winners and
 * SFT on losers (the control: SFT on the model's own samples without the preference).
 */
export function methodSpecs(settings: Pick<DiffusionComparisonSettings, 'betas'>): MethodSpec[] {
  return [
    ...settings.betas.map(
      (beta): MethodSpec => ({ id: `dpo-b${beta}`, kind: 'dpo', label: `Diffusion-DPO β=${beta}`, beta }),
    ),
    { id: 'ddpo', kind: 'ddpo', label: 'DDPO' },
    { id: 'sft-winners', kind: 'sft-winners', label: 'SFT on winners' },
    { id: 'sft-losers', kind: 'sft-losers', label: 'SFT on losers (control)' },
  ];
}

/**
 * Compute a method spent, hardware-independent counts beside the wall time. "Denoiser passes"
 * count images through the network: a forward pass per image and DDIM step when sampling, a
 * forward (and a backward) per image when training. Pair sampling is shared by Diffusion-DPO and
 * both SFT runs of a seed; its images are counted for each (they are the data each one needs).
 */
export interface ComputeRecord {
  /** Seconds of training (DDPO: its sampling included). */
  readonly trainSeconds: number;
  /** Seconds of sampling and scoring the shared pairs (0 for DDPO, whose sampling is in trainSeconds). */
  readonly pairSeconds: number;
  /** Images the method needed sampled: 2 per pair condition, or DDPO's trajectories. */
  readonly imagesSampled: number;
  readonly optimizerSteps: number;
  /** Examples per optimiser step: pairs (DPO), images (SFT), trajectories (DDPO). */
  readonly batchSize: number;
  /** Forward passes of one image through a denoiser (sampling and training). */
  readonly forwardPasses: number;
  /** Backward passes of one image. */
  readonly backwardPasses: number;
}

/** Counts of {@link ComputeRecord} without the wall times. */
export type ComputeCounts = Omit<ComputeRecord, 'trainSeconds' | 'pairSeconds'>;

/**
 * Image forward / backward passes of a method, from its settings:
 * - pairs: `2 * pairs * samplingSteps` forwards (shared data of DPO and SFT);
 * - Diffusion-DPO step: both images of each pair through the policy (forward and backward) and
 *   the frozen reference (forward);
 * - SFT step: each image forward and backward;
 * - DDPO step: `samplesPerStep * samplingSteps` forwards to sample (guidance 1: one pass per
 *   step), then every transition forward and backward once (one inner epoch, all timesteps).
 */
export function computeCounts(kind: MethodKind, settings: DiffusionComparisonSettings): ComputeCounts {
  const pairImages = 2 * settings.pairs;
  const pairForwards = pairImages * settings.samplingSteps;
  const { trainSteps: steps, batchSize } = settings;
  switch (kind) {
    case 'dpo':
      return {
        imagesSampled: pairImages,
        optimizerSteps: steps,
        batchSize,
        forwardPasses: pairForwards + steps * batchSize * 4,
        backwardPasses: steps * batchSize * 2,
      };
    case 'sft-winners':
    case 'sft-losers':
      return {
        imagesSampled: pairImages,
        optimizerSteps: steps,
        batchSize,
        forwardPasses: pairForwards + steps * batchSize,
        backwardPasses: steps * batchSize,
      };
    case 'ddpo': {
      const trajectories = settings.ddpoSteps * settings.ddpoSamplesPerStep;
      const transitions = trajectories * settings.samplingSteps;
      return {
        imagesSampled: trajectories,
        optimizerSteps: settings.ddpoSteps * (settings.ddpoSamplesPerStep / settings.ddpoTrainBatchSize),
        batchSize: settings.ddpoTrainBatchSize,
        forwardPasses: 2 * transitions,
        backwardPasses: transitions,
      };
    }
  }
}

/** What every method's training gets: the base model (never modified), the run's sizes, the seed. */
export interface TrainingEnvironment {
  readonly base: Denoiser;
  readonly schedule: NoiseSchedule;
  readonly settings: DiffusionComparisonSettings;
  /** The training seed of this cell (data order, per-pair draws, DDPO sampling). */
  readonly seed: number;
  readonly log: (line: string) => void;
  /** Prefix of this cell's log lines: `[compressibility seed 1/3]`. */
  readonly logPrefix: string;
  /** Where per-step metrics (JSON Lines) go. */
  readonly logDir: string;
  readonly signal?: AbortSignal | undefined;
}

/** A method's trained model (the caller disposes it) and what its training measured. */
export interface TrainedModel {
  readonly model: Denoiser;
  readonly trainSeconds: number;
  /** Method-specific numbers for the JSON and the findings. */
  readonly details: Readonly<Record<string, number>>;
}
