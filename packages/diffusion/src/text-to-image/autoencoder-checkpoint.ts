import { join } from 'node:path';
import { DataFormatError } from '@dpo-ts/core';
import { restoreWeights } from '@dpo-ts/core/training';
import { formatJsonFile, loadNamedWeights, readJsonFile, saveNamedWeights } from '@dpo-ts/core/io';
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
  await saveNamedWeights(directory, model.autoencoder.namedVariables(), {
    'config.json': formatJsonFile(latentAutoencoderHeader(model)),
  });
}

/**
 * The `config.json` object {@link saveLatentAutoencoder} writes:
 * `{ format, version, config, scalingFactor }`.
 * @throws InvalidArgumentError naming `model.scalingFactor` when it is not a finite number > 0.
 */
export function latentAutoencoderHeader(model: ScaledAutoencoder): Readonly<Record<string, unknown>> {
  return {
    format: LATENT_AUTOENCODER_FORMAT,
    version: LATENT_AUTOENCODER_FORMAT_VERSION,
    config: model.autoencoder.config,
    scalingFactor: requireScalingFactor('model.scalingFactor', model.scalingFactor),
  };
}

/** The file names of a saved autoencoder inside its directory (what {@link loadLatentAutoencoder} reads). */
export interface LatentAutoencoderFiles {
  /** The header. @defaultValue 'config.json' */
  readonly config?: string;
  /** The weights manifest. @defaultValue 'manifest.json' */
  readonly manifest?: string;
  /** The weights. @defaultValue 'weights.bin' */
  readonly weights?: string;
}

/**
 * Loads a directory written by {@link saveLatentAutoencoder} (or the autoencoder `files` of
 * another directory, e.g. a saved text-to-image model's), checking the format, every weight
 * name and shape.
 * @throws DataFormatError naming the file when anything does not match.
 * @returns a new autoencoder; the caller disposes it.
 */
export async function loadLatentAutoencoder(
  directory: string,
  files: LatentAutoencoderFiles = {},
): Promise<ScaledAutoencoder> {
  const configPath = join(directory, files.config ?? 'config.json');
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
  const { weights } = await loadNamedWeights(directory, {
    ...(files.manifest === undefined ? {} : { manifest: files.manifest }),
    ...(files.weights === undefined ? {} : { weights: files.weights }),
  });
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
