import { join } from 'node:path';
import { DataFormatError } from '@dpo-ts/core';
import {
  formatJsonFile,
  readJsonFile,
  readSavedModelManifest,
  saveTrainedModel,
  type SavedModelManifest,
} from '@dpo-ts/core/io';
import type { Denoiser } from './denoiser.js';
import { DENOISER_FORMAT, DENOISER_FORMAT_VERSION, loadDenoiser } from './denoiser-checkpoint.js';
import { NoiseSchedule, type NoiseScheduleConfig } from './noise-schedule.js';

/** The modality name `trainer.json` records for diffusion models. */
export const DIFFUSION_MODEL_MODALITY = 'diffusion';

/** A diffusion model read back by `DiffusionSFTTrainer.load(dir)` / `DiffusionDPOTrainer.load(dir)`. */
export interface SavedDiffusionModel {
  /** The denoiser, ready to sample or to start the next stage; the caller disposes it. */
  readonly model: Denoiser;
  /** The noise schedule it was trained with. */
  readonly schedule: NoiseSchedule;
  /** `trainer.json`: which trainer wrote it, its config and step. */
  readonly manifest: SavedModelManifest;
}

/** What {@link saveDiffusionModel} writes. */
export interface SaveDiffusionModelOptions {
  /** The trainer (`'diffusion-sft'`, `'diffusion-dpo'`). */
  readonly kind: string;
  /** The trained denoiser to save; not disposed. */
  readonly model: Denoiser;
  /** The noise schedule it was trained under, written as `schedule.json`. */
  readonly schedule: NoiseSchedule;
  /** The trainer's resolved config, written to `trainer.json` as JSON (functions and `undefined` dropped). */
  readonly trainerConfig: unknown;
  /** Optimiser steps completed when saved, recorded in `trainer.json`. */
  readonly step: number;
}

/**
 * Saves a trained denoiser as a directory, atomically (core's `saveTrainedModel`): the
 * `saveDenoiser` layout (`config.json`, `manifest.json`, `weights.bin`, so `loadDenoiser(dir)`
 * reads it too), `schedule.json` (the resolved `NoiseScheduleConfig`) and `trainer.json`. A
 * failed save leaves the previous directory intact. Creates no lasting tensors.
 */
export async function saveDiffusionModel(dir: string, options: SaveDiffusionModelOptions): Promise<void> {
  const { model } = options;
  const header = { format: DENOISER_FORMAT, version: DENOISER_FORMAT_VERSION, kind: model.kind, config: model.config };
  await saveTrainedModel(dir, {
    kind: options.kind,
    modality: DIFFUSION_MODEL_MODALITY,
    trainerConfig: options.trainerConfig,
    step: options.step,
    weights: model.namedVariables(),
    files: { 'config.json': formatJsonFile(header), 'schedule.json': formatJsonFile(options.schedule.config) },
  });
}

/**
 * Reads a `schedule.json` (a `NoiseScheduleConfig`) as a {@link NoiseSchedule}.
 * @throws DataFormatError naming the file when it is missing a valid config.
 */
export async function loadNoiseScheduleFile(path: string): Promise<NoiseSchedule> {
  try {
    return new NoiseSchedule((await readJsonFile(path)) as Partial<NoiseScheduleConfig>);
  } catch (error) {
    if (error instanceof DataFormatError) throw error;
    throw new DataFormatError(path, 0, (error as Error).message, { cause: error });
  }
}

/**
 * Reads a directory written by a diffusion trainer's `save(dir)`: the denoiser, its noise
 * schedule and the manifest. Any diffusion trainer's directory works (an SFT model is the
 * start of Diffusion-DPO).
 * @throws InvalidArgumentError naming `dir` when it is not a saved model or of another modality.
 * @throws DataFormatError naming the file for a malformed part.
 */
export async function loadDiffusionModel(dir: string): Promise<SavedDiffusionModel> {
  const manifest = await readSavedModelManifest(dir, { modality: DIFFUSION_MODEL_MODALITY });
  const schedule = await loadNoiseScheduleFile(join(dir, 'schedule.json'));
  const model = await loadDenoiser(dir);
  return { model, schedule, manifest };
}
