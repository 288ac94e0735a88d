import * as tf from '@tensorflow/tfjs-core';
import { requireInteger, type Checkpointable, type NamedVariables } from '@dpo-ts/core';
import { Rng } from '@dpo-ts/core/training';
import { countParameters } from '../denoiser.js';
import { createDense, dense, type DenseParams } from '../nn/layers.js';
import { ParameterStore } from '../nn/parameter-store.js';
import { CaptionEncoder, type CaptionEncoderConfig } from '../text-to-image/caption-encoder.js';
import { clipContrastiveLoss, normalizeRows } from './contrastive-loss.js';
import { ImageEncoder, type ImageEncoderConfig } from './image-encoder.js';

/** Configuration of {@link EmojiCLIP}. */
export interface EmojiCLIPConfig {
  /** The text tower (a {@link CaptionEncoder}); `vocabSize` from the tokenizer. */
  readonly text: Partial<CaptionEncoderConfig> & Pick<CaptionEncoderConfig, 'vocabSize'>;
  /** The image tower. @defaultValue DEFAULT_IMAGE_ENCODER_CONFIG */
  readonly image: Partial<ImageEncoderConfig>;
  /** Width of the joint embedding space. @defaultValue 64 */
  readonly embedDim: number;
  /** Seed of every initial weight (the text tower's too). @defaultValue 0 */
  readonly seed: number;
}

/** CLIP's initial inverse temperature, 1 / 0.07, and its cap, 100 (Radford et al. 2021, Sec. 2.5). */
export const CLIP_INITIAL_LOG_SCALE = Math.log(1 / 0.07);
const MAX_LOG_SCALE = Math.log(100);

/**
 * A small CLIP (the PickScore analogue of this project): an image tower ({@link ImageEncoder} on
 * 32x32 RGB) and a text tower ({@link CaptionEncoder}, pooled, then a linear projection), both
 * mapped to unit vectors of `embedDim`, trained with the symmetric InfoNCE loss
 * ({@link clipContrastiveLoss}) and a learned temperature (log scale initialised at log(1/0.07),
 * used clipped at log 100).
 *
 * Its score of an (image, caption) is exp(logScale) * cos(image, caption), as PickScore's; the
 * difference of two images' scores is the log-odds with which it prefers one (a Bradley-Terry
 * reading, used by {@link labelPairs}).
 *
 * Weight names: `text.*` (the caption encoder's), `image.*`, `text_projection.*`, `logit_scale`.
 * @see Radford et al. 2021; Kirstain et al. 2023 (PickScore).
 */
export class EmojiCLIP implements Checkpointable {
  /** The resolved configuration, every default filled in (the towers' configs included); frozen. */
  readonly config: EmojiCLIPConfig;
  /** The text tower: a caption encoder whose pooled output the text projection maps to `embedDim`. */
  readonly textEncoder: CaptionEncoder;
  /** The image tower: `[b, 32, 32, 3]` images in [-1, 1] -> `[b, embedDim]`. */
  readonly imageEncoder: ImageEncoder;
  /** log of the inverse temperature, a scalar variable. */
  readonly logScale: tf.Variable;
  private readonly store: ParameterStore;
  private readonly textProjection: DenseParams;

  /**
   * Builds both towers with fresh weights from `config.seed` (the model owns them; {@link EmojiCLIP.dispose} frees them).
   * @param config - `text.vocabSize` is required (the tokenizer's); every other field has a default.
   * @throws InvalidArgumentError naming the field (`clip.embedDim`, `clip.seed`, or a tower's) when invalid.
   */
  constructor(config: Partial<EmojiCLIPConfig> & Pick<EmojiCLIPConfig, 'text'>) {
    const embedDim = requireInteger('clip.embedDim', config.embedDim ?? 64, { min: 1 });
    const seed = requireInteger('clip.seed', config.seed ?? 0, { min: 0 });
    this.textEncoder = new CaptionEncoder({ ...config.text, seed });
    this.store = new ParameterStore(new Rng(seed + 1));
    this.imageEncoder = new ImageEncoder(this.store, 'image', { ...config.image, outputDim: embedDim });
    this.textProjection = createDense(this.store, 'text_projection', this.textEncoder.config.dim, embedDim);
    this.logScale = this.store.constant('logit_scale', [], CLIP_INITIAL_LOG_SCALE);
    this.config = Object.freeze({
      text: this.textEncoder.config,
      image: this.imageEncoder.config,
      embedDim,
      seed,
    });
  }

  /** Unit image embeddings, `[b, 32, 32, 3]` -> `[b, embedDim]`; differentiable; caller disposes. */
  embedImages(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => normalizeRows(this.imageEncoder.encode(images)));
  }

  /** Unit caption embeddings from `[b * maxLength]` token ids -> `[b, embedDim]`; caller disposes. */
  embedTexts(tokenIds: Int32Array, batch: number): tf.Tensor2D {
    return tf.tidy(() => {
      const { tokens, pooled } = this.textEncoder.encode(tokenIds, batch);
      tokens.dispose();
      return normalizeRows(dense(this.textProjection, pooled));
    });
  }

  /** The inverse temperature in use, exp(min(logScale, log 100)), a scalar; caller disposes. */
  scale(): tf.Scalar {
    return tf.tidy(() => tf.exp(tf.minimum(this.logScale, MAX_LOG_SCALE)) as tf.Scalar);
  }

  /** The training loss of a batch of matching pairs (image i, caption i); a scalar on the tape. */
  loss(images: tf.Tensor4D, tokenIds: Int32Array): tf.Scalar {
    return tf.tidy(() =>
      clipContrastiveLoss(
        this.embedImages(images),
        this.embedTexts(tokenIds, images.shape[0]),
        tf.minimum(this.logScale, MAX_LOG_SCALE) as tf.Scalar,
      ),
    );
  }

  /** Score of image i with caption i, scale * cos, `[b]`; caller disposes. */
  scorePairs(images: tf.Tensor4D, tokenIds: Int32Array): tf.Tensor1D {
    return tf.tidy(() =>
      tf.mul(this.scale(), tf.sum(tf.mul(this.embedImages(images), this.embedTexts(tokenIds, images.shape[0])), 1)),
    );
  }

  /** Every weight by stable name. */
  namedVariables(): NamedVariables {
    const variables = new Map<string, tf.Variable>();
    for (const [name, v] of this.textEncoder.namedVariables()) variables.set(`text.${name}`, v);
    for (const [name, v] of this.store.namedVariables()) variables.set(name, v);
    return variables;
  }

  /** The number of trainable weights (scalars) of every tower, the temperature included where there is one. */
  parameterCount(): number {
    return countParameters(this.namedVariables().values());
  }

  /** Disposes every weight variable; the model is unusable afterwards. */
  dispose(): void {
    for (const v of this.namedVariables().values()) v.dispose();
  }
}
