import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, requireInteger, requireNumber, requireOneOf, requireBoolean } from '@dpo-ts/core';
import type { TimestepInput } from './inputs.js';

/** The beta schedules implemented: Ho et al.'s linear one and Nichol & Dhariwal's cosine one. */
export type BetaScheduleType = 'linear' | 'cosine';

/** Every beta schedule, for validation and documentation. */
export const BETA_SCHEDULE_TYPES = ['linear', 'cosine'] as const satisfies readonly BetaScheduleType[];

/** How a {@link NoiseSchedule} is built. */
export interface NoiseScheduleConfig {
  /** Beta schedule. @defaultValue 'linear' */
  readonly type: BetaScheduleType;
  /** Number of diffusion steps T; timesteps are the integers 0..T-1. @defaultValue 1000 */
  readonly numTimesteps: number;
  /** First beta of the linear schedule at T = 1000. @defaultValue 1e-4 (Ho et al. 2020) */
  readonly betaStart: number;
  /** Last beta of the linear schedule at T = 1000. @defaultValue 0.02 (Ho et al. 2020) */
  readonly betaEnd: number;
  /**
   * Linear schedule only: multiply betaStart and betaEnd by 1000 / T, so a short chain still
   * ends near pure noise (alpha-bar_T ~ 4e-5 for every T). This is what improved-diffusion's
   * `get_named_beta_schedule('linear', T)` does (Nichol & Dhariwal 2021); diffusers'
   * `DDPMScheduler` does not scale (with T = 100 unscaled betas leave alpha-bar_T ~ 0.36, so
   * samples would not start from noise). At T = 1000 both are Ho et al.'s schedule.
   * @defaultValue true
   */
  readonly scaleLinearToTimesteps: boolean;
  /** Cosine schedule offset s. @defaultValue 0.008 (Nichol & Dhariwal 2021, Eq. 17) */
  readonly cosineOffset: number;
  /** Cosine schedule: betas are clipped at this value. @defaultValue 0.999 */
  readonly maxBeta: number;
}

/** Ho et al.'s linear schedule with T = 1000. */
export const DEFAULT_NOISE_SCHEDULE_CONFIG: NoiseScheduleConfig = Object.freeze({
  type: 'linear',
  numTimesteps: 1000,
  betaStart: 1e-4,
  betaEnd: 0.02,
  scaleLinearToTimesteps: true,
  cosineOffset: 0.008,
  maxBeta: 0.999,
});

/** Merges `config` over {@link DEFAULT_NOISE_SCHEDULE_CONFIG} and validates every field once. */
export function resolveNoiseScheduleConfig(config: Partial<NoiseScheduleConfig> = {}): NoiseScheduleConfig {
  const merged = { ...DEFAULT_NOISE_SCHEDULE_CONFIG, ...config };
  requireOneOf('noiseSchedule.type', merged.type, BETA_SCHEDULE_TYPES);
  requireInteger('noiseSchedule.numTimesteps', merged.numTimesteps, { min: 2 });
  requireNumber('noiseSchedule.betaStart', merged.betaStart, {
    min: 0,
    exclusiveMin: true,
    max: 1,
    exclusiveMax: true,
  });
  requireNumber('noiseSchedule.betaEnd', merged.betaEnd, { min: merged.betaStart, max: 1, exclusiveMax: true });
  requireBoolean('noiseSchedule.scaleLinearToTimesteps', merged.scaleLinearToTimesteps);
  requireNumber('noiseSchedule.cosineOffset', merged.cosineOffset, { min: 0 });
  requireNumber('noiseSchedule.maxBeta', merged.maxBeta, { min: 0, exclusiveMin: true, max: 1, exclusiveMax: true });
  if (merged.type === 'linear' && merged.scaleLinearToTimesteps && (merged.betaEnd * 1000) / merged.numTimesteps >= 1) {
    throw new InvalidArgumentError(
      'noiseSchedule.numTimesteps',
      `large enough that the scaled betaEnd (betaEnd * 1000 / T) is below 1`,
      merged.numTimesteps,
    );
  }
  return Object.freeze(merged);
}

/** Names of the per-timestep coefficient tables of a {@link NoiseSchedule}. */
export type ScheduleCoefficient =
  | 'betas'
  | 'alphas'
  | 'alphasCumprod'
  | 'alphasCumprodPrev'
  | 'sqrtAlphasCumprod'
  | 'sqrtOneMinusAlphasCumprod'
  | 'sqrtRecipAlphasCumprod'
  | 'sqrtRecipm1AlphasCumprod'
  | 'posteriorVariance'
  | 'posteriorLogVarianceClipped'
  | 'posteriorMeanCoef1'
  | 'posteriorMeanCoef2';

/**
 * The forward (noising) process of a DDPM and every coefficient the samplers and losses need,
 * precomputed in float64 for t = 0..T-1 (index t is the paper's timestep t + 1).
 *
 * - q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I), abar_t = prod_{s<=t} (1 - beta_s)
 *   (Ho et al. 2020, Eq. 4);
 * - posterior q(x_{t-1} | x_t, x_0) = N(coef1_t x_0 + coef2_t x_t, betaTilde_t I) with
 *   coef1_t = beta_t sqrt(abar_{t-1}) / (1 - abar_t), coef2_t = (1 - abar_{t-1}) sqrt(alpha_t) / (1 - abar_t),
 *   betaTilde_t = beta_t (1 - abar_{t-1}) / (1 - abar_t), abar_{-1} = 1 (Ho et al. 2020, Eqs. 6-7).
 * - `posteriorLogVarianceClipped` replaces the zero variance at t = 0 by the one at t = 1, as
 *   Ho et al.'s code does, so its log is finite.
 *
 * Float32 copies (`table32`) feed tensors; `coefficient()` gathers one table per example.
 *
 * @see Ho et al. 2020, "Denoising Diffusion Probabilistic Models", Eqs. 4, 6, 7.
 * @see Nichol & Dhariwal 2021, "Improved Denoising Diffusion Probabilistic Models", Eq. 17 (cosine).
 * @example
 * const schedule = new NoiseSchedule({ type: 'cosine', numTimesteps: 200 });
 * const c = schedule.coefficient('sqrtAlphasCumprod', [0, 199], 4); // [2, 1, 1, 1]; caller disposes
 */
export class NoiseSchedule {
  /** The resolved configuration. */
  readonly config: NoiseScheduleConfig;
  /** T, the number of diffusion steps. */
  readonly numTimesteps: number;
  /** beta_t, the variance of the noise added at step t, in (0, 1); length T. */
  readonly betas: Float64Array;
  /** alpha_t = 1 - beta_t; length T. */
  readonly alphas: Float64Array;
  /** abar_t = prod_{s<=t} alpha_s, decreasing from alpha_0 towards 0; length T. */
  readonly alphasCumprod: Float64Array;
  /** abar_{t-1}, with abar_{-1} = 1 at t = 0; length T. */
  readonly alphasCumprodPrev: Float64Array;
  /** sqrt(abar_t): the signal scale of x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps. */
  readonly sqrtAlphasCumprod: Float64Array;
  /** sqrt(1 - abar_t): the noise scale of x_t. */
  readonly sqrtOneMinusAlphasCumprod: Float64Array;
  /** sqrt(1 / abar_t): x_0 = sqrtRecip * x_t - sqrtRecipm1 * eps. */
  readonly sqrtRecipAlphasCumprod: Float64Array;
  /** sqrt(1 / abar_t - 1). */
  readonly sqrtRecipm1AlphasCumprod: Float64Array;
  /** betaTilde_t = beta_t (1 - abar_{t-1}) / (1 - abar_t), the posterior variance (0 at t = 0). */
  readonly posteriorVariance: Float64Array;
  /** log betaTilde_t, with t = 0 taking t = 1's value so it stays finite. */
  readonly posteriorLogVarianceClipped: Float64Array;
  /** coef1_t = beta_t sqrt(abar_{t-1}) / (1 - abar_t): the x_0 weight of the posterior mean. */
  readonly posteriorMeanCoef1: Float64Array;
  /** coef2_t = (1 - abar_{t-1}) sqrt(alpha_t) / (1 - abar_t): the x_t weight of the posterior mean. */
  readonly posteriorMeanCoef2: Float64Array;
  private readonly float32 = new Map<ScheduleCoefficient, Float32Array>();

  /**
   * Resolves `config` (over {@link DEFAULT_NOISE_SCHEDULE_CONFIG}) and precomputes every table
   * in float64. Holds no tensors: nothing to dispose.
   * @throws InvalidArgumentError naming the config field that is out of range.
   */
  constructor(config: Partial<NoiseScheduleConfig> = {}) {
    this.config = resolveNoiseScheduleConfig(config);
    const T = this.config.numTimesteps;
    this.numTimesteps = T;
    this.betas = computeBetas(this.config);
    const map = (f: (t: number) => number): Float64Array => Float64Array.from({ length: T }, (_, t) => f(t));
    this.alphas = map((t) => 1 - this.betas[t]!);
    this.alphasCumprod = new Float64Array(T);
    let product = 1;
    for (let t = 0; t < T; t++) {
      product *= this.alphas[t]!;
      this.alphasCumprod[t] = product;
    }
    const abar = this.alphasCumprod;
    this.alphasCumprodPrev = map((t) => (t === 0 ? 1 : abar[t - 1]!));
    const abarPrev = this.alphasCumprodPrev;
    this.sqrtAlphasCumprod = map((t) => Math.sqrt(abar[t]!));
    this.sqrtOneMinusAlphasCumprod = map((t) => Math.sqrt(1 - abar[t]!));
    this.sqrtRecipAlphasCumprod = map((t) => Math.sqrt(1 / abar[t]!));
    this.sqrtRecipm1AlphasCumprod = map((t) => Math.sqrt(1 / abar[t]! - 1));
    this.posteriorVariance = map((t) => (this.betas[t]! * (1 - abarPrev[t]!)) / (1 - abar[t]!));
    this.posteriorLogVarianceClipped = map((t) => Math.log(this.posteriorVariance[t === 0 ? 1 : t]!));
    this.posteriorMeanCoef1 = map((t) => (this.betas[t]! * Math.sqrt(abarPrev[t]!)) / (1 - abar[t]!));
    this.posteriorMeanCoef2 = map((t) => ((1 - abarPrev[t]!) * Math.sqrt(this.alphas[t]!)) / (1 - abar[t]!));
  }

  /** A float32 copy of one table (cached). */
  table32(name: ScheduleCoefficient): Float32Array {
    let table = this.float32.get(name);
    if (table === undefined) {
      table = Float32Array.from(this[name]);
      this.float32.set(name, table);
    }
    return table;
  }

  /**
   * One coefficient per example, shaped to broadcast against `[batch, ...]` tensors of rank
   * `rank`: `[batch, 1, ..., 1]` (rank 4 for NHWC images, 1 for a plain vector).
   *
   * Host timesteps are looked up on the host; tensor timesteps with `tf.gather` (no gradient
   * flows to the constant table, so this is safe on every backend).
   *
   * @param timesteps - integers in [0, T), length batch.
   * @returns a new float32 tensor; the caller disposes it.
   */
  coefficient(name: ScheduleCoefficient, timesteps: TimestepInput, rank = 4): tf.Tensor {
    requireInteger('rank', rank, { min: 1 });
    const table = this.table32(name);
    if (timesteps instanceof tf.Tensor) {
      return tf.tidy(() => {
        const batch = timesteps.shape[0]!;
        const values = tf.gather(tf.tensor1d(table), tf.cast(timesteps, 'int32'));
        return tf.reshape(values, [batch, ...new Array<number>(rank - 1).fill(1)]);
      });
    }
    const values = Float32Array.from(timesteps, (t, i) => table[this.checkTimestep(t, i)]!);
    return tf.tensor(values, [values.length, ...new Array<number>(rank - 1).fill(1)], 'float32');
  }

  /** Throws unless `t` is an integer timestep in [0, T). Returns it. */
  checkTimestep(t: number, index = 0): number {
    if (!Number.isInteger(t) || t < 0 || t >= this.numTimesteps) {
      throw new InvalidArgumentError(`timesteps[${index}]`, `an integer in [0, ${this.numTimesteps})`, t);
    }
    return t;
  }
}

function computeBetas(config: NoiseScheduleConfig): Float64Array {
  const T = config.numTimesteps;
  if (config.type === 'linear') {
    const scale = config.scaleLinearToTimesteps ? 1000 / T : 1;
    const start = scale * config.betaStart;
    const end = scale * config.betaEnd;
    // np.linspace(start, end, T): both ends included.
    return Float64Array.from({ length: T }, (_, t) => start + ((end - start) * t) / (T - 1));
  }
  // Nichol & Dhariwal 2021, Eq. 17: abar(t) = f(t) / f(0), f(t) = cos^2(((t/T + s) / (1 + s)) pi/2);
  // beta_t = min(1 - abar(t+1) / abar(t), maxBeta), from improved-diffusion's betas_for_alpha_bar.
  const s = config.cosineOffset;
  const f = (t: number): number => Math.cos((((t / T + s) / (1 + s)) * Math.PI) / 2) ** 2;
  return Float64Array.from({ length: T }, (_, t) => Math.min(1 - f(t + 1) / f(t), config.maxBeta));
}

/** The schedule fields {@link NoiseSchedule.coefficient} accepts, for validation and docs. */
export const SCHEDULE_COEFFICIENTS = [
  'betas',
  'alphas',
  'alphasCumprod',
  'alphasCumprodPrev',
  'sqrtAlphasCumprod',
  'sqrtOneMinusAlphasCumprod',
  'sqrtRecipAlphasCumprod',
  'sqrtRecipm1AlphasCumprod',
  'posteriorVariance',
  'posteriorLogVarianceClipped',
  'posteriorMeanCoef1',
  'posteriorMeanCoef2',
] as const satisfies readonly ScheduleCoefficient[];
