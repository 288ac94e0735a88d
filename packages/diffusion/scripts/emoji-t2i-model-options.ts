/**
 * The `parseArgs` options the emoji text-to-image scripts share: the model, its autoencoder and
 * the held-out alignment scorer, defaulting to the committed checkpoints
 * (`packages/diffusion/checkpoints`, found from the compiled script in `dist/run/scripts`).
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from '@dpo-ts/core';

const CHECKPOINTS = fileURLToPath(new URL('../../../checkpoints', import.meta.url));

/** `--model`, `--autoencoder` and `--scorer`, each a directory, defaulting to the committed ones. */
export const EMOJI_T2I_MODEL_OPTIONS = {
  model: { type: 'string', default: path.join(CHECKPOINTS, 'emoji-t2i') },
  autoencoder: { type: 'string', default: path.join(CHECKPOINTS, 'emoji-autoencoder') },
  scorer: { type: 'string', default: path.join(CHECKPOINTS, 'emoji-clip-oracle') },
} as const;

/**
 * A `--timesteps` list like `100,250,500`: integers in [0, numTimesteps).
 * @throws InvalidArgumentError naming `--timesteps` and the range when one is not.
 */
export function parseTimestepList(text: string, numTimesteps: number): number[] {
  const timesteps = text.split(',').map(Number);
  for (const t of timesteps)
    if (!Number.isInteger(t) || t < 0 || t >= numTimesteps)
      throw new InvalidArgumentError('--timesteps', `integers in [0, ${numTimesteps})`, text);
  return timesteps;
}
