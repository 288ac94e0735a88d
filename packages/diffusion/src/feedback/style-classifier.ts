import * as tf from '@tensorflow/tfjs-core';
import { requireInteger, type Checkpointable, type NamedVariables } from '@dpo-ts/core';
import { Rng } from '@dpo-ts/core/training';
import { countParameters } from '../denoiser.js';
import { ParameterStore } from '../nn/parameter-store.js';
import { ImageEncoder, type ImageEncoderConfig } from './image-encoder.js';

/** Configuration of {@link StyleClassifier}. */
export interface StyleClassifierConfig {
  /** The backbone; `outputDim` is forced to 1. @defaultValue DEFAULT_IMAGE_ENCODER_CONFIG */
  readonly image: Partial<ImageEncoderConfig>;
  /** What a positive logit means, for people and cards (`'twitter'`: Twemoji style). */
  readonly positive: string;
  /** Seed of the initial weights. @defaultValue 0 */
  readonly seed: number;
}

/**
 * A binary style classifier, logit = f(x) for "the image is in the `positive` style": the
 * personal-taste labeler (one person who likes Twemoji's flat art over Noto's shaded art) and,
 * with another seed, data half or width, the held-out style oracle. Trained with the logistic
 * loss ({@link StyleClassifier.loss}). Weight names: `image.*`.
 */
export class StyleClassifier implements Checkpointable {
  /** The resolved configuration (the backbone's config with `outputDim` 1); frozen. */
  readonly config: StyleClassifierConfig;
  private readonly store: ParameterStore;
  private readonly backbone: ImageEncoder;

  /**
   * Builds the backbone with fresh weights from `config.seed` (the classifier owns them; {@link StyleClassifier.dispose} frees them).
   * @param config - every field optional: `image` over `DEFAULT_IMAGE_ENCODER_CONFIG`, `positive` `'twitter'`, `seed` 0.
   * @throws InvalidArgumentError naming the field (`style.seed`, or the backbone's) when invalid.
   */
  constructor(config: Partial<StyleClassifierConfig> = {}) {
    const seed = requireInteger('style.seed', config.seed ?? 0, { min: 0 });
    this.store = new ParameterStore(new Rng(seed));
    this.backbone = new ImageEncoder(this.store, 'image', { ...config.image, outputDim: 1 });
    this.config = Object.freeze({ image: this.backbone.config, positive: config.positive ?? 'twitter', seed });
  }

  /** `[b, h, w, c]` in [-1, 1] -> `[b]` logits of the positive style; differentiable; caller disposes. */
  logits(images: tf.Tensor4D): tf.Tensor1D {
    return tf.tidy(() => tf.reshape(this.backbone.encode(images), [-1]) as tf.Tensor1D);
  }

  /** Mean logistic loss against `[b]` targets (1: positive style, 0: not); a scalar on the tape. */
  loss(images: tf.Tensor4D, targets: ArrayLike<number>): tf.Scalar {
    return tf.tidy(() => tf.losses.sigmoidCrossEntropy(tf.tensor1d(Float32Array.from(targets)), this.logits(images)));
  }

  namedVariables(): NamedVariables {
    return this.store.namedVariables();
  }

  /** The number of weights (scalars) of the classifier. */
  parameterCount(): number {
    return countParameters(this.store.namedVariables().values());
  }

  /** Disposes every weight variable; the model is unusable afterwards. */
  dispose(): void {
    for (const v of this.store.namedVariables().values()) v.dispose();
  }
}
