import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, requireInteger } from '@dpo-ts/core';
import type { Checkpointable, NamedVariables } from '@dpo-ts/core';
import { buildLMBatch, type GPT, type LMBatch, type LMBatchOptions, type Tokenizer } from '@dpo-ts/lm';
import { lastTokenIndices, selectPerRow } from './last-token.js';
import { ScalarHead } from './scalar-head.js';

/** Options of a {@link SequenceRewardModel}. */
export interface SequenceRewardModelOptions {
  /** Seed of the reward head's initialisation. @defaultValue 0 */
  readonly headSeed?: number;
  /** Standard deviation of the head's N(0, std²) initialisation (Hugging Face's `initializer_range`). @defaultValue 0.02 */
  readonly headInitStd?: number;
}

/** A prompt and a completion to score, as text. */
export interface PromptCompletion {
  /** The conditioning text; its tokens are not scored. */
  readonly prompt: string;
  /** The response being scored; the reward is read at the last real token of prompt + completion. */
  readonly completion: string;
}

/** Options of {@link SequenceRewardModel.scoreTexts}. */
export interface ScoreTextsOptions extends Partial<LMBatchOptions> {
  /** Rows per forward pass. @defaultValue 32 */
  readonly batchSize?: number;
}

/**
 * A Bradley-Terry sequence reward model: a GPT backbone from `@dpo-ts/lm` (its final hidden
 * states, after `ln_f`) and a linear scalar head read at each row's last real token:
 *
 *   r(x, y) = h_L(x, y)[last] · w,   h_L = LN_f(blocks(...)) of [BOS] x y [EOS]
 *
 * Trained so that P(y_w ≻ y_l | x) = sigmoid(r(x, y_w) - r(x, y_l)) (Bradley & Terry 1952) with
 * {@link bradleyTerryRewardLoss} by the {@link RewardTrainer}. Rows are laid out as in
 * `buildLMBatch` (right-padded, EOS appended: TRL's RewardTrainer appends EOS to every
 * completion too), so the score is read at the EOS, which has attended to the whole text.
 *
 * Variables (see {@link SequenceRewardModel.namedVariables}): the backbone's GPT-2 names
 * (`wte`, `h.0.attn.c_attn.kernel`, …) and `score.kernel` `[dModel, 1]`, no bias (Hugging Face
 * `GPT2ForSequenceClassification`). The unused LM head of the backbone (its tied `wte` as the
 * output projection, or `lm_head.kernel`) is kept, so the backbone can later initialise a PPO
 * value model or policy (TRL initialises its value model from the reward model).
 *
 * The model owns the backbone and the head: {@link SequenceRewardModel.dispose} frees both.
 *
 * @see Bradley & Terry 1952; Ziegler et al. 2019, Sec. 2.2; Ouyang et al. 2022, Sec. 3.5 (RM);
 *   TRL `RewardTrainer`, `get_reward`.
 * @example
 * const model = new SequenceRewardModel(new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 64 }));
 * const rewards = await model.scoreTexts(tokenizer, [{ prompt: 'Q: 2+2?', completion: ' 4' }], { maxLength: 64 });
 */
export class SequenceRewardModel implements Checkpointable {
  /** The transformer whose final hidden states the head reads. */
  readonly backbone: GPT;
  /** The linear reward head, `score.kernel`. */
  readonly head: ScalarHead;
  private disposed = false;

  /** Takes ownership of `backbone` and creates a fresh head. */
  constructor(backbone: GPT, options: SequenceRewardModelOptions = {}) {
    this.backbone = backbone;
    this.head = new ScalarHead({
      inputSize: backbone.config.dModel,
      bias: false,
      initStd: options.headInitStd ?? 0.02,
      seed: options.headSeed ?? 0,
      name: 'score',
    });
  }

  /** Longest row the backbone accepts. */
  get contextLength(): number {
    return this.backbone.contextLength;
  }

  /**
   * The head at every position: int32 `[B, T]` -> `[B, T]` (position t scores the prefix
   * ending at t). Differentiable. New tensor; the caller disposes it.
   */
  tokenRewards(inputIds: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.head.apply(this.backbone.hiddenStates(inputIds)));
  }

  /**
   * One reward per row, read at position `lastIndices[b]`: int32 `[B, T]` -> `[B]`.
   * Differentiable. New tensor; the caller disposes it.
   */
  rewards(inputIds: tf.Tensor2D, lastIndices: readonly number[]): tf.Tensor1D {
    return tf.tidy(() => selectPerRow(this.tokenRewards(inputIds), lastIndices));
  }

  /**
   * Rewards of the rows of a right-padded batch (`buildLMBatch`, `buildPreferenceBatch`),
   * each read at its last real token. `[batchSize]`, differentiable; the caller disposes it.
   */
  score(batch: LMBatch): tf.Tensor1D {
    const indices = lastTokenIndices(batch);
    return tf.tidy(() =>
      this.rewards(tf.tensor2d(batch.inputIds, [batch.batchSize, batch.sequenceLength], 'int32'), indices),
    );
  }

  /**
   * Scores text pairs, `batchSize` rows per forward pass, outside any gradient tape. Each row
   * is `[BOS] prompt completion [EOS]` as `buildLMBatch` lays it out (`addEos: false` scores a
   * completion as given, e.g. one whose sampler never produced EOS).
   *
   * @param options - batch layout; `maxLength` defaults to the backbone's `contextLength`.
   * @returns one reward per pair, plain numbers.
   */
  async scoreTexts(
    tokenizer: Tokenizer,
    pairs: readonly PromptCompletion[],
    options: ScoreTextsOptions = {},
  ): Promise<number[]> {
    const { batchSize: batchSizeOption, ...layout } = options;
    const batchSize = requireInteger('options.batchSize', batchSizeOption ?? 32, { min: 1 });
    const batchOptions: LMBatchOptions = { ...layout, maxLength: layout.maxLength ?? this.contextLength };
    if (batchOptions.maxLength > this.contextLength) {
      throw new InvalidArgumentError(
        'options.maxLength',
        `at most the backbone's contextLength ${this.contextLength}`,
        batchOptions.maxLength,
      );
    }
    const out: number[] = [];
    for (let start = 0; start < pairs.length; start += batchSize) {
      const examples = pairs.slice(start, start + batchSize).map((pair) => ({
        prompt: tokenizer.encode(pair.prompt),
        completion: tokenizer.encode(pair.completion),
      }));
      const rewards = this.score(buildLMBatch(examples, tokenizer, batchOptions));
      try {
        out.push(...(await rewards.data()));
      } finally {
        rewards.dispose();
      }
    }
    return out;
  }

  /** Backbone weights by their GPT-2 names, then `score.kernel`. */
  namedVariables(): NamedVariables {
    return new Map([...this.backbone.namedVariables(), ...this.head.namedVariables()]);
  }

  /** Every variable of backbone and head. */
  trainableVariables(): tf.Variable[] {
    return [...this.namedVariables().values()];
  }

  /** Frees backbone and head. */
  dispose(): void {
    if (this.disposed) return;
    this.backbone.dispose();
    this.head.dispose();
    this.disposed = true;
  }
}
