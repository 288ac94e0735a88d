import { InvalidArgumentError, ShapeMismatchError, type Checkpointable, type NamedVariables } from '@dpo-ts/core';
import { CaptionEncoder } from '../text-to-image/caption-encoder.js';
import { LatentTextDenoiser } from '../text-to-image/latent-text-denoiser.js';
import { textToImageVariables } from '../text-to-image/text-to-image-checkpoint.js';

/**
 * The caption encoder and latent denoiser of a text-to-image model as one checkpointable unit,
 * what {@link LatentDiffusionDPOTrainer} trains and copies as its reference. Weight names are
 * `textToImageVariables`' (`text.*`, `denoiser.*`), so a DPO checkpoint's policy weights load
 * with `loadTextToImageModel`'s names. It does not own the networks unless it made them.
 */
export class TextToImageDPOModel implements Checkpointable {
  /**
   * Joins a caption encoder and a latent denoiser, kept by reference.
   * @param encoder - the caption encoder (trained only with `trainTextEncoder`).
   * @param denoiser - the latent denoiser conditioned on the encoder's pooled embedding.
   * @param owned - whether {@link dispose} frees both networks (true only for a {@link clone}).
   */
  constructor(
    readonly encoder: CaptionEncoder,
    readonly denoiser: LatentTextDenoiser,
    private readonly owned = false,
  ) {}

  /** `text.<name>` and `denoiser.<name>`. */
  namedVariables(): NamedVariables {
    return textToImageVariables(this);
  }

  /** A copy with new weights equal to these (same configs); the copy owns and disposes them. */
  clone(): TextToImageDPOModel {
    const copy = new TextToImageDPOModel(
      new CaptionEncoder(this.encoder.config),
      new LatentTextDenoiser(this.denoiser.config),
      true,
    );
    const targets = copy.namedVariables();
    for (const [name, variable] of this.namedVariables()) {
      const target = targets.get(name);
      if (target === undefined) {
        copy.dispose();
        throw new InvalidArgumentError('model', `a text-to-image model with a weight named "${name}"`, 'none');
      }
      if (target.shape.join() !== variable.shape.join()) {
        copy.dispose();
        throw new ShapeMismatchError(name, variable.shape, target.shape);
      }
      target.assign(variable);
    }
    return copy;
  }

  /** The architecture, for checkpoints (`modelConfig`). */
  architecture(): {
    /** The caption encoder's config (vocabulary, width, layers, `maxLength`). */
    encoder: CaptionEncoder['config'];
    /** The latent denoiser's config (latent shape, channels, `textDim`, `cfgDropProb`). */
    denoiser: LatentTextDenoiser['config'];
  } {
    return { encoder: this.encoder.config, denoiser: this.denoiser.config };
  }

  /** Disposes both networks if this object made them (a clone); a no-op for the caller's. */
  dispose(): void {
    if (!this.owned) return;
    this.encoder.dispose();
    this.denoiser.dispose();
  }
}
