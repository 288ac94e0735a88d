import { DataFormatError, requireNumber } from '@dpo-ts/core';
import { selectBackend, type BackendRequest } from '@dpo-ts/core/backend';
import {
  DiffusionPreferenceScorer,
  buildDiffusionPreferenceBatch,
  loadDiffusionModel,
  loadImagePreferenceJsonl,
} from '@dpo-ts/diffusion';
import type { JobKind, ReferenceShardResult } from '@dpo-ts/queue';
import { PayloadFields } from './payload-fields.js';
import {
  type ReferenceSegment,
  readPairScores,
  validateReferenceSegments,
  yieldToEventLoop,
} from './reference-segments.js';

/** Name of the job kind that scores a shard of image pairs with a saved Diffusion-DPO reference. */
export const DIFFUSION_REFERENCE_KIND = 'reference-scores/diffusion';

/** A shard of a Diffusion-DPO reference precompute (train pairs). */
export interface DiffusionReferencePayload {
  /** A directory written by a diffusion trainer's `save(dir)`: the reference denoiser and its schedule. */
  readonly modelDir: string;
  /** The shard's pairs: image preference JSONL files (`writeImagePreferenceJsonl`) and positions. */
  readonly segments: readonly ReferenceSegment[];
  /** The cache keys the producer expects (`train/<index>`), checked by the worker. */
  readonly keys: readonly string[];
  /** The run's seed: each pair's timestep, noise and label dropout are drawn from (seed, 0, index). */
  readonly seed: number;
  /** The run's classifier-free-guidance label dropout probability. */
  readonly cfgDropProb: number;
  /** The run's `scoreScale` (score = -scale * mse). */
  readonly scoreScale: number;
  /** Pairs per reference forward pass. */
  readonly batchSize: number;
  readonly backend: BackendRequest;
}

/** Checks a {@link DiffusionReferencePayload} from the queue, naming the bad field. */
export function validateDiffusionReferencePayload(payload: unknown): DiffusionReferencePayload {
  const p = new PayloadFields(payload);
  p.string('modelDir');
  validateReferenceSegments(p);
  const segments = p.raw('segments') as ReferenceSegment[];
  segments.forEach((segment, i) => {
    if (segment.split !== 'train')
      new PayloadFields(segment, `payload.segments[${i}]`).oneOf('split', ['train'] as const);
  });
  p.integer('seed', { min: 0, max: 2 ** 32 - 1 });
  requireNumber('payload.cfgDropProb', p.raw('cfgDropProb'), { min: 0, max: 1 });
  requireNumber('payload.scoreScale', p.raw('scoreScale'), { min: 0, exclusiveMin: true });
  p.integer('batchSize', { min: 1 });
  p.backend();
  return payload as DiffusionReferencePayload;
}

/**
 * Scores a shard's train pairs with the saved reference as `DiffusionDPOTrainer` fills its
 * cache: the pairs' fixed draws (round 0: timestep, noise, label dropout from the run's seed and
 * each pair's index), `DiffusionPreferenceScorer` with the run's score scale, `batchSize` pairs
 * per forward pass. A key that differs from the producer's stops the job. Frees every tensor.
 * @returns `[chosen, rejected]` per pair, in the shard's order.
 */
export async function scoreDiffusionReferenceShard(payload: DiffusionReferencePayload): Promise<[number, number][]> {
  const { model, schedule } = await loadDiffusionModel(payload.modelDir);
  try {
    const scorer = new DiffusionPreferenceScorer(model, schedule, { scale: payload.scoreScale, trainable: false });
    const scores: [number, number][] = [];
    for (const segment of payload.segments) {
      const dataset = await loadImagePreferenceJsonl(segment.file, model.imageShape, { numClasses: model.numClasses });
      for (let start = 0; start < segment.indices.length; start += payload.batchSize) {
        const batch = buildDiffusionPreferenceBatch(dataset, segment.indices.slice(start, start + payload.batchSize), {
          seed: payload.seed,
          round: 0,
          numTimesteps: schedule.numTimesteps,
          cfgDropProb: payload.cfgDropProb,
          nullClass: model.nullClass,
          keyPrefix: 'train/',
        });
        batch.keys.forEach((key, i) => {
          if (key !== payload.keys[scores.length + i])
            throw new DataFormatError(
              segment.file,
              segment.indices[start + i]! + 1,
              `pair key ${key} differs from the producer's ${payload.keys[scores.length + i]}`,
            );
        });
        scores.push(...(await readPairScores(scorer, batch)));
        await yieldToEventLoop();
      }
    }
    return scores;
  } finally {
    model.dispose();
  }
}

/** The `reference-scores/diffusion` job kind ({@link scoreDiffusionReferenceShard}). */
export const diffusionReferenceKind: JobKind<DiffusionReferencePayload, ReferenceShardResult> = {
  name: DIFFUSION_REFERENCE_KIND,
  validate: validateDiffusionReferencePayload,
  async run(payload) {
    await selectBackend({ backend: payload.backend, gradientOverrides: 'default', quiet: true });
    return { scores: await scoreDiffusionReferenceShard(payload) };
  },
};
