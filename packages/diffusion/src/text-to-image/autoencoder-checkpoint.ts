import { join } from 'node:path';
import {
  DataFormatError,
  formatJsonFile,
  loadNamedWeights,
  readJsonFile,
  restoreWeights,
  saveNamedWeights,
} from '@dpo-ts/core';
import { LatentAutoencoder, requireScalingFactor, type LatentAutoencoderConfig } from './latent-autoencoder.js';

/** `config.json`'s `format` field of a saved autoencoder. */
export const LATENT_AUTOENCODER_FORMAT = 'dpo-ts.latent-autoencoder';
/** `config.json`'s `version` field; bumped on incompatible changes. */
export const LATENT_AUTOENCODER_FORMAT_VERSION = 1;

/** A trained autoencoder and the factor that scales its latents to unit variance. */
export interface ScaledAutoencoder {
  /** The autoencoder with the saved weights; the caller disposes it. */
  readonly autoencoder: LatentAutoencoder;
  /** Multiply `encodeMean` latents by it before diffusion, divide before `decode`. */
  readonly scalingFactor: number;
}

/**
 * Saves an autoencoder as a directory with core's `saveNamedWeights` (atomic):
 * `config.json` (`{ format: "dpo-ts.latent-autoencoder", version: 1, config, scalingFactor }`),
 * `manifest.json` and `weights.bin`.
 */
export async function saveLatentAutoencoder(directory: string, model: ScaledAutoencoder): Promise<void> {
  const header = {
    format: LATENT_AUTOENCODER_FORMAT,
    version: LATENT_AUTOENCODER_FORMAT_VERSION,
    config: model.autoencoder.config,
    scalingFactor: requireScalingFactor('model.scalingFactor', model.scalingFactor),
  };
  await saveNamedWeights(directory, model.autoencoder.namedVariables(), { 'config.json': formatJsonFile(header) });
}

/**
 * Loads a directory written by {@link saveLatentAutoencoder}, checking the format, every weight
 * name and shape.
 * @throws DataFormatError naming the file when anything does not match.
 * @returns a new autoencoder; the caller disposes it.
 */
export async function loadLatentAutoencoder(directory: string): Promise<ScaledAutoencoder> {
  const configPath = join(directory, 'config.json');
  const header = await readJsonFile(configPath);
  if (header.format !== LATENT_AUTOENCODER_FORMAT) {
    throw new DataFormatError(
      configPath,
      0,
      `format must be "${LATENT_AUTOENCODER_FORMAT}": got ${JSON.stringify(header.format)}`,
    );
  }
  if (header.version !== LATENT_AUTOENCODER_FORMAT_VERSION) {
    throw new DataFormatError(
      configPath,
      0,
      `version must be ${LATENT_AUTOENCODER_FORMAT_VERSION}: got ${JSON.stringify(header.version)}`,
    );
  }
  const scalingFactor = header.scalingFactor;
  if (typeof scalingFactor !== 'number' || !(scalingFactor > 0) || !Number.isFinite(scalingFactor)) {
    throw new DataFormatError(
      configPath,
      0,
      `scalingFactor must be a finite number > 0: got ${JSON.stringify(scalingFactor)}`,
    );
  }
  const { weights } = await loadNamedWeights(directory);
  let autoencoder: LatentAutoencoder;
  try {
    autoencoder = new LatentAutoencoder(header.config as Partial<LatentAutoencoderConfig>);
  } catch (error) {
    throw new DataFormatError(configPath, 0, `cannot build the autoencoder: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    restoreWeights(autoencoder.namedVariables(), weights, { source: directory });
  } catch (error) {
    autoencoder.dispose();
    throw error;
  }
  return { autoencoder, scalingFactor };
}
