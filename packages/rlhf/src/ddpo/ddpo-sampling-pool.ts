import { resolveSamplingWorkers, SamplingWorkerPool } from '@dpo-ts/core/parallel';
import {
  denoiserSamplerSpec,
  type Denoiser,
  type DenoiserSamplingResult,
  type DenoiserSamplingTask,
  type NoiseSchedule,
} from '@dpo-ts/diffusion';

/** A DDPO trainer's open sampling pool, or none (the main thread). */
export type DDPOSamplingPool = SamplingWorkerPool<DenoiserSamplingTask, DenoiserSamplingResult> | undefined;

/**
 * Opens the pool a DDPO `train()` samples its trajectories with: `samplingWorkers` resolved
 * by core's `resolveSamplingWorkers` over the step's `tasks` sampler calls (one per
 * `sampleBatchSize` trajectories) and the denoiser's values; `undefined` when that is 1. Each
 * call is seeded `mixSeeds(seed, call)` wherever it runs, so any count gives the same rollout,
 * the main thread's included. The caller closes the pool.
 * @throws InvalidArgumentError naming `config.samplingWorkers`; SamplingWorkerFailedError when a worker cannot start.
 */
export async function openDDPOSamplingPool(
  model: Denoiser,
  schedule: NoiseSchedule,
  samplingWorkers: number | 'auto',
  tasks: number,
): Promise<DDPOSamplingPool> {
  const parameters = model.namedVariables();
  let values = 0;
  for (const variable of parameters.values()) values += variable.size;
  const workers = resolveSamplingWorkers(samplingWorkers, tasks, values, 'config.samplingWorkers');
  if (workers === 1) return undefined;
  return SamplingWorkerPool.create<DenoiserSamplingTask, DenoiserSamplingResult>({
    sampler: denoiserSamplerSpec({ kind: model.kind, denoiser: model.config, schedule: schedule.config }),
    parameters,
    workers,
  });
}
