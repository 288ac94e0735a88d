import * as tf from '@tensorflow/tfjs-core';
import type { NamedVariables } from '@dpo-ts/core';
import type { JsonValue } from '@dpo-ts/core/training';
import type { MicroBatchOutput, ParallelTask, ParallelTaskSpec } from '@dpo-ts/core/parallel';
import {
  createDenoiser,
  ddimStepLogProb,
  NoiseSchedule,
  type Denoiser,
  type DenoiserKind,
  type ImageShape,
  type MLPDenoiserConfig,
  type NoiseScheduleConfig,
  type UNetConfig,
} from '@dpo-ts/diffusion';
import { klPenalty, type KLEstimator } from '../kl-estimators.js';
import { ddpoLoss } from './ddpo-loss.js';
import { DDPO_METRIC_NAMES } from './ddpo-metrics.js';
import type { DDPORollout } from './ddpo-rollout.js';

/**
 * One micro-batch of a DDPO update: denoising step j_r of each trajectory r of a minibatch, as
 * plain arrays (it survives `structuredClone`, so it can cross to a worker thread). Shapes:
 * `[b, h, w, c]` images row-major, `[b]` per-trajectory values.
 */
export interface DDPOUpdateBatch {
  /** `[h, w, c]` of one image. */
  readonly imageShape: ImageShape;
  /** x_t of each trajectory's step, `[b, h, w, c]`. */
  readonly noisyImages: Float32Array;
  /** x_{t-1} the sampler drew from it, `[b, h, w, c]`. */
  readonly previousImages: Float32Array;
  /** t of each step, `[b]`. */
  readonly timesteps: readonly number[];
  /** The DDIM step's previous timestep, `[b]`. */
  readonly prevTimesteps: readonly number[];
  /** Each trajectory's condition (class label), `[b]`. */
  readonly labels: readonly number[];
  /** log p_old(x_{t-1} | x_t, c) at sampling time, `[b]`. */
  readonly oldLogProbs: Float32Array;
  /** Each trajectory's advantage (before DDPO's clipping), `[b]`. */
  readonly advantages: Float32Array;
}

/** The loss settings of a DDPO update (fields of the resolved DDPO config). */
export type DDPOUpdateSettings = {
  /** DDIM eta of the log-probability. */
  readonly eta: number;
  /** Classifier-free guidance scale. */
  readonly guidanceScale: number;
  /** PPO's epsilon (`clip_range`). */
  readonly clipRange: number;
  /** Advantages are clipped to [-advClipMax, advClipMax]. */
  readonly advClipMax: number;
  /** Weight of the KL term to the reference; 0: no reference is run. */
  readonly klCoef: number;
  /** The KL estimator of that term. */
  readonly klEstimator: KLEstimator;
  /** Timesteps accumulated per optimiser update: each micro-batch's loss is divided by it. */
  readonly numTrainTimesteps: number;
};

/** Configuration of {@link createDDPOUpdateTask}: JSON, so it can build the replica in a worker. */
export type DDPOUpdateTaskConfig = {
  /** `'mlp'` or `'unet'`: the policy's (and the reference's) architecture. */
  readonly kind: DenoiserKind;
  /** The denoiser's configuration (`model.config`). */
  readonly denoiser: Partial<MLPDenoiserConfig> | Partial<UNetConfig>;
  /** The noise schedule's configuration (`schedule.config`). */
  readonly schedule: Partial<NoiseScheduleConfig>;
  /** The loss settings. */
  readonly settings: DDPOUpdateSettings;
};

/** Name prefix of the frozen reference's variables in {@link createDDPOUpdateTask}'s `namedVariables`. */
export const DDPO_REFERENCE_PREFIX = 'reference.';

/**
 * The micro-batch of trajectories `rows` at their steps `steps` (`steps[r]` for `rows[r]`):
 * x_t and x_{t-1} copied from the rollout's latents, with the old log-probs and advantages.
 */
export function ddpoUpdateBatch(
  rollout: DDPORollout,
  advantages: Float32Array,
  rows: readonly number[],
  steps: readonly number[],
): DDPOUpdateBatch {
  const size = rollout.latents.length / (rollout.count * (rollout.numSteps + 1));
  const gather = (offset: 0 | 1): Float32Array => {
    const out = new Float32Array(rows.length * size);
    rows.forEach((row, r) => {
      const at = (row * (rollout.numSteps + 1) + steps[r]! + offset) * size;
      out.set(rollout.latents.subarray(at, at + size), r * size);
    });
    return out;
  };
  return {
    imageShape: rollout.imageShape,
    noisyImages: gather(0),
    previousImages: gather(1),
    timesteps: steps.map((s) => rollout.timesteps[s]!),
    prevTimesteps: steps.map((s) => rollout.prevTimesteps[s]!),
    labels: rows.map((row) => rollout.conditions[row]!),
    oldLogProbs: Float32Array.from(rows, (row, r) => rollout.logProbs[row * rollout.numSteps + steps[r]!]!),
    advantages: Float32Array.from(rows, (row) => advantages[row]!),
  };
}

/**
 * DDPO's loss of one micro-batch (one denoising step of each of a minibatch's trajectories),
 * divided by `numTrainTimesteps` so that the micro-batches of an update, summed, average the
 * timesteps as ddpo-pytorch's accumulation does:
 *
 *   loss_k = (ddpoLoss(log p_theta, log p_old, A) + klCoef * mean KL(p_theta || p_ref)) / numTrainTimesteps
 *
 * Metrics (per micro-batch, before the division): `loss`, `approx_kl`, `clipfrac`, `ratio`, and
 * `kl` with a reference. The reference runs only when `klCoef > 0`.
 *
 * @see Black et al. 2023, Eq. 4 with PPO's clipping; ddpo-pytorch `scripts/train.py`.
 * @returns new tensors the caller disposes; the loss is differentiable in `policy`'s variables.
 */
export function ddpoUpdateLoss(
  policy: Denoiser,
  reference: Denoiser | undefined,
  schedule: NoiseSchedule,
  batch: DDPOUpdateBatch,
  settings: DDPOUpdateSettings,
): MicroBatchOutput {
  const [h, w, c] = batch.imageShape;
  const b = batch.labels.length;
  const transition = () => ({
    noisyImages: tf.tensor4d(batch.noisyImages, [b, h, w, c]),
    previousImages: tf.tensor4d(batch.previousImages, [b, h, w, c]),
    timesteps: batch.timesteps,
    prevTimesteps: batch.prevTimesteps,
    labels: batch.labels,
  });
  const step = { eta: settings.eta, guidanceScale: settings.guidanceScale };
  const logProbs = ddimStepLogProb(policy, schedule, transition(), step);
  const parts = ddpoLoss({
    logProbs,
    oldLogProbs: tf.tensor1d(batch.oldLogProbs),
    advantages: tf.tensor1d(batch.advantages),
    clipRange: settings.clipRange,
    advClipMax: settings.advClipMax,
  });
  let loss: tf.Scalar = parts.loss;
  const metrics: Record<string, tf.Scalar> = {
    [DDPO_METRIC_NAMES.approxKl]: parts.approxKl,
    [DDPO_METRIC_NAMES.clipFraction]: parts.clipFraction,
    [DDPO_METRIC_NAMES.ratio]: parts.ratioMean,
  };
  if (settings.klCoef > 0) {
    // The frozen reference carries no gradient: its variables are not among the trained ones.
    const referenceLogProbs = ddimStepLogProb(reference!, schedule, transition(), step);
    const kl = tf.mean(klPenalty(logProbs, referenceLogProbs, settings.klEstimator)) as tf.Scalar;
    metrics[DDPO_METRIC_NAMES.kl] = kl;
    loss = tf.add(loss, tf.mul(kl, settings.klCoef));
  }
  metrics[DDPO_METRIC_NAMES.loss] = loss;
  return { loss: tf.div(loss, settings.numTrainTimesteps) as tf.Scalar, metrics };
}

/**
 * DDPO's per-timestep loss ({@link ddpoUpdateLoss}) as a core `ParallelTask`: the unit
 * data-parallel workers compute. The batch carries its transitions, so the loss is a pure
 * function of batch and weights (the DDIM log-probability draws no noise).
 *
 * `namedVariables`: the policy's, then, with `settings.klCoef > 0`, the reference's under
 * {@link DDPO_REFERENCE_PREFIX}, which must be frozen (`trainable: false`; the pool copies them
 * to the replicas at every call). `policy`, `reference` and `schedule` are the trainer's on the
 * main thread; in a worker they are built from `config`. `dispose()` frees only what it built.
 *
 * @throws InvalidArgumentError (from core's engine) when a given reference's variables are trainable.
 */
export function createDDPOUpdateTask(
  config: DDPOUpdateTaskConfig,
  policy?: Denoiser,
  reference?: Denoiser,
  schedule?: NoiseSchedule,
): ParallelTask<DDPOUpdateBatch> {
  const model = policy ?? createDenoiser(config.kind, config.denoiser);
  const withReference = config.settings.klCoef > 0;
  const frozen = withReference ? (reference ?? createDenoiser(config.kind, config.denoiser)) : undefined;
  if (frozen !== undefined && reference === undefined)
    for (const variable of frozen.namedVariables().values()) variable.trainable = false;
  const noiseSchedule = schedule ?? new NoiseSchedule(config.schedule);
  const namedVariables: NamedVariables = new Map([
    ...model.namedVariables(),
    ...[...(frozen?.namedVariables() ?? [])].map(
      ([name, variable]) => [`${DDPO_REFERENCE_PREFIX}${name}`, variable] as const,
    ),
  ]);
  return {
    namedVariables,
    lossAndMetrics: (batch) => ddpoUpdateLoss(model, frozen, noiseSchedule, batch, config.settings),
    dispose: () => {
      if (policy === undefined) model.dispose();
      if (reference === undefined) frozen?.dispose();
    },
  };
}

/** The spec that builds {@link createDDPOUpdateTask}(config) in each worker of a core `GradientWorkerPool`. */
export function ddpoUpdateTaskSpec(config: DDPOUpdateTaskConfig): ParallelTaskSpec {
  return { module: '@dpo-ts/rlhf', export: 'createDDPOUpdateTask', config: config as unknown as JsonValue };
}
