import * as tf from '@tensorflow/tfjs-core';
import {
  adamWFromConfig,
  epochBatches,
  InvalidArgumentError,
  lrScheduleFromConfig,
  METRIC_NAMES,
  MetricAccumulator,
  microBatchStep,
  restoreWeights,
  Rng,
  runTrainerLoop,
} from '@dpo-ts/core';
import type {
  AdamWOptimizer,
  CheckpointContent,
  LoadedCheckpoint,
  LRSchedule,
  Metrics,
  NamedVariables,
  TrainingLoopResult,
  TrainOptions,
} from '@dpo-ts/core';
import { lmModelArchitecture, type GPT, type Tokenizer } from '@dpo-ts/lm';
import { evaluateCompletions } from '../evaluate-completions.js';
import { datasetPrompts, encodePrompt } from '../prompt-encoding.js';
import { responseLogProbs } from '../response-forward.js';
import type { RewardSource } from '../reward-source.js';
import { pickRows, rolloutTensors } from '../rollout-layout.js';
import type { ResolvedGroupConfig } from './group-config.js';
import { GROUP_METRIC_NAMES } from './group-metrics.js';
import type { GroupLossNormalization, GroupPolicyLoss } from './group-policy-loss.js';
import { collectGroupRollout, type GroupRollout } from './group-rollout.js';
import type { GroupTrainerOptions } from './group-trainer-options.js';

/** One micro-batch as the trainers' loss sees it; tensors are created and freed by the base. */
export interface GroupLossBatch {
  /** log π_θ(y_t), `[b, T]`, differentiated. */
  readonly logProbs: tf.Tensor2D;
  /** log π_old(y_t) of the sampler, `[b, T]`, constant. */
  readonly oldLogProbs: tf.Tensor2D;
  /** Present when the rollout ran the reference. */
  readonly referenceLogProbs: tf.Tensor2D | undefined;
  /** `[b]`. */
  readonly advantages: tf.Tensor1D;
  /** 1 on valid completion tokens (EOS included), 0 on padding, `[b, T]`. */
  readonly mask: tf.Tensor2D;
  /** The step-wide counts the micro-batch's loss is normalised by. */
  readonly normalization: GroupLossNormalization;
}

/**
 * What RLOO and GRPO share: a critic-free policy-gradient trainer that samples G completions per
 * prompt, turns their rewards into one advantage per completion, and takes `numIterations`
 * optimiser steps over the batch with a clipped-ratio loss. A subclass gives the advantages
 * ({@link GroupTrainerBase.advantagesOf}) and the loss ({@link GroupTrainerBase.lossOf}).
 *
 * One {@link GroupTrainerBase.trainStep}: `promptsPerStep` prompts (reshuffled each epoch,
 * seeded) x G completions → rewards → π_old (and π_ref when β > 0) → advantages →
 * `numIterations` x core's `microBatchStep` over `gradientAccumulationSteps` micro-batches of
 * `perDeviceTrainBatchSize` completions (micro-batch losses summed, each normalised by the
 * step's counts). The learning rate is stepped once per generation batch.
 *
 * Checkpoints hold the policy's weights (`policy/<name>`), the AdamW state and the sampling
 * generator; the reference and the reward are not saved (pass the same ones when resuming).
 * Tensors: nothing survives a step but variables and optimiser state.
 */
export abstract class GroupTrainerBase<TConfig extends ResolvedGroupConfig> {
  /** The resolved config the trainer runs with; frozen. */
  readonly config: TConfig & {
    /** Longest prompt in tokens (BOS included), resolved against the model: the config's, or contextLength - maxCompletionLength + 1. */
    readonly maxPromptLength: number;
  };
  /** The policy π_θ being trained (every weight), updated in place; the caller's, not disposed by the trainer. */
  readonly model: GPT;
  /** The frozen reference; undefined when β = 0 and none was given. */
  readonly referenceModel: GPT | undefined;
  /** {@inheritDoc GroupTrainerOptions.tokenizer} */
  readonly tokenizer: Tokenizer;
  /** AdamW over every policy weight (`policy/<name>`); its state and a reference clone the trainer made are freed by `dispose()`. */
  readonly optimizer: AdamWOptimizer;
  /** {@inheritDoc GroupTrainerOptions.reward} */
  protected readonly reward: RewardSource;
  private readonly trainPrompts: readonly string[];
  private readonly trainPromptIds: readonly (readonly number[])[];
  private readonly evalPrompts: readonly string[] | undefined;
  private readonly trainable: NamedVariables;
  private readonly schedule: LRSchedule;
  private readonly owned: { dispose(): void }[] = [];
  private samplingRng: Rng;

  /** The trainer's kind in checkpoints (`'rloo'`, `'grpo'`). */
  protected abstract readonly kind: string;

  /**
   * Checks the models against the tokenizer and the prompt and completion lengths, reads the
   * prompts, and builds AdamW over the policy's weights. With β > 0 and no `referenceModel`, it
   * clones the policy as the frozen reference and owns the clone (`dispose()` frees it with the
   * optimiser state); the policy, a given reference and the reward stay the caller's.
   * @param resolved - the subclass's config, resolved once.
   * @throws InvalidArgumentError naming the option or field: a vocabulary mismatch, a prompt length
   *   that does not fit the context, `referenceModel` being `model`, or an empty or malformed dataset.
   */
  protected constructor(options: GroupTrainerOptions<unknown>, resolved: TConfig) {
    const { model, tokenizer } = options;
    const maxPromptLength = resolved.maxPromptLength ?? model.contextLength - resolved.maxCompletionLength + 1;
    for (const [name, candidate] of [
      ['model', model],
      ['referenceModel', options.referenceModel],
    ] as const) {
      if (candidate === undefined) continue;
      if (candidate.vocabSize !== tokenizer.vocabSize)
        throw new InvalidArgumentError(
          `${name}.vocabSize`,
          `the tokenizer's vocabSize ${tokenizer.vocabSize}`,
          candidate.vocabSize,
        );
      if (maxPromptLength < 1 || maxPromptLength + resolved.maxCompletionLength - 1 > candidate.contextLength) {
        throw new InvalidArgumentError(
          'config.maxPromptLength',
          `>= 1 and <= ${name}.contextLength - maxCompletionLength + 1 = ${candidate.contextLength - resolved.maxCompletionLength + 1}`,
          maxPromptLength,
        );
      }
    }
    if (options.referenceModel === model)
      throw new InvalidArgumentError(
        'referenceModel',
        'a separate model (model.clone()), not the model itself',
        'the model',
      );
    this.trainPrompts = datasetPrompts('trainDataset', options.trainDataset, resolved.promptsPerStep);
    this.evalPrompts =
      options.evalDataset === undefined ? undefined : datasetPrompts('evalDataset', options.evalDataset, 1);
    this.config = Object.freeze({ ...resolved, maxPromptLength });
    this.model = model;
    this.tokenizer = tokenizer;
    this.reward = options.reward;
    this.referenceModel = options.referenceModel ?? (resolved.beta > 0 ? this.own(model.clone()) : undefined);
    this.trainPromptIds = this.trainPrompts.map((prompt) => encodePrompt(tokenizer, prompt, maxPromptLength));
    const trainable = new Map<string, tf.Variable>();
    for (const [name, variable] of model.namedVariables()) trainable.set(`policy/${name}`, variable);
    this.trainable = trainable;
    this.optimizer = adamWFromConfig(trainable, resolved);
    this.schedule = lrScheduleFromConfig(resolved);
    this.samplingRng = new Rng(resolved.seed);
  }

  /** Advantages of a rollout's completions, in its row order, and the metrics that come with them. */
  protected abstract advantagesOf(rollout: GroupRollout): {
    /** One advantage per completion, in the rollout's row order, `[N]`. */
    advantages: number[];
    /** The advantage step's metrics (`reward`, `reward_std`, `frac_reward_zero_std`, RLOO's `kl`). */
    metrics: Metrics;
  };

  /** The loss of one micro-batch (called inside a tidy and a gradient tape). */
  protected abstract lossOf(batch: GroupLossBatch): GroupPolicyLoss;

  /** The trained variables by checkpoint name (`policy/<name>`). */
  namedVariables(): NamedVariables {
    return this.trainable;
  }

  /** Indices into `trainDataset` of the prompts of 0-based step `stepIndex`: a function of the seed and the step only. */
  promptIndicesForStep(stepIndex: number): readonly number[] {
    return epochBatches(
      this.trainPrompts.map((_, i) => i),
      { batchSize: this.config.promptsPerStep, seed: this.config.seed, dropLast: true, startStep: stepIndex },
    ).next().value!.items;
  }

  /** Samples and scores the completions of step `stepIndex` (the first phase of {@link GroupTrainerBase.trainStep}). */
  async rollout(stepIndex: number): Promise<GroupRollout> {
    const indices = this.promptIndicesForStep(stepIndex);
    return collectGroupRollout(
      { policy: this.model, reference: this.referenceModel },
      this.tokenizer,
      indices.map((i) => this.trainPrompts[i]!),
      indices.map((i) => this.trainPromptIds[i]!),
      this.reward,
      { ...this.config, withReference: this.config.beta > 0 },
      this.samplingRng,
    );
  }

  /**
   * One step (see the class notes). Returns TRL's metrics (`reward`, `reward_std`,
   * `frac_reward_zero_std`, `kl`, `entropy`, `clip_ratio/*`, `completions/*`), `loss`,
   * `grad_norm` (mean over optimiser steps, before clipping) and `learning_rate`. A non-finite
   * loss or gradient norm throws core's `NonFiniteError` before the weights change.
   */
  async trainStep(stepIndex: number): Promise<Metrics> {
    const rollout = await this.rollout(stepIndex);
    const { advantages, metrics: advantageMetrics } = this.advantagesOf(rollout);
    const learningRate = this.schedule(stepIndex);
    const { generationBatchSize: N, perDeviceTrainBatchSize, gradientAccumulationSteps } = this.config;
    const normalization: GroupLossNormalization = {
      sequences: N,
      tokens: rollout.layout.responseLengths.reduce((a, b) => a + b, 0),
      microBatches: gradientAccumulationSteps,
      maxCompletionLength: this.config.maxCompletionLength,
    };
    const microBatches: number[][] = [];
    for (let start = 0; start < N; start += perDeviceTrainBatchSize)
      microBatches.push(Array.from({ length: perDeviceTrainBatchSize }, (_, i) => start + i));
    const stats = new MetricAccumulator();
    const gradNorms: number[] = [];
    for (let iteration = 0; iteration < this.config.numIterations; iteration++) {
      const result = await microBatchStep({
        optimizer: this.optimizer,
        variables: this.trainable,
        microBatches,
        lossAndMetrics: (rows) => this.microBatchLoss(rollout, advantages, rows, normalization),
        reduction: 'sum', // each micro-batch loss is already its share of the step's loss
        learningRate,
        maxGradNorm: this.config.maxGradNorm,
        stepIndex,
      });
      stats.add(result.metrics);
      gradNorms.push(result.gradNorm);
    }
    return {
      ...rollout.metrics,
      [GROUP_METRIC_NAMES.reward]: rollout.rewards.reduce((a, b) => a + b, 0) / rollout.rewards.length,
      ...advantageMetrics,
      ...stats.mean(),
      [METRIC_NAMES.gradNorm]: gradNorms.reduce((a, b) => a + b, 0) / gradNorms.length,
      [METRIC_NAMES.learningRate]: learningRate,
    };
  }

  /**
   * Samples one completion per `evalDataset` prompt (a fresh generator seeded with
   * `config.seed`; training generators untouched) and scores it: `eval_reward`,
   * `eval_reward_std` and the `eval_completions/*` lengths.
   * @throws InvalidArgumentError when the trainer was created without `evalDataset`.
   */
  async evaluate(): Promise<Metrics> {
    if (this.evalPrompts === undefined)
      throw new InvalidArgumentError('evalDataset', 'a dataset given to create() before evaluate()', undefined);
    const ids = this.evalPrompts.map((prompt) => encodePrompt(this.tokenizer, prompt, this.config.maxPromptLength));
    return evaluateCompletions(this.model, this.tokenizer, this.evalPrompts, ids, this.reward, {
      maxNewTokens: this.config.maxCompletionLength,
      temperature: this.config.temperature,
      stopAtEos: this.config.stopAtEos,
      seed: this.config.seed,
    });
  }

  /** Trained weights, optimiser state and the sampling generator. */
  async checkpointContent(): Promise<CheckpointContent> {
    return {
      weights: this.trainable,
      optimizer: await this.optimizer.state(),
      rng: { sampling: this.samplingRng.state() },
      metadata: { trainer: this.kind },
    };
  }

  /** Restores what {@link GroupTrainerBase.checkpointContent} saved. */
  restore(checkpoint: LoadedCheckpoint): void {
    restoreWeights(this.trainable, checkpoint.weights, { source: checkpoint.path });
    if (checkpoint.optimizer !== undefined) this.optimizer.loadState(checkpoint.optimizer);
    if (checkpoint.rng.sampling !== undefined) this.samplingRng = Rng.fromState(checkpoint.rng.sampling);
  }

  /**
   * Runs `config.totalSteps` steps through core's `runTrainerLoop`: progress, evaluation every
   * `config.evalSteps` (with an `evalDataset`), checkpoints, resume, abort; the same options as
   * every dpo-ts trainer.
   */
  async train(options: TrainOptions = {}): Promise<TrainingLoopResult> {
    return runTrainerLoop(
      {
        totalSteps: this.config.totalSteps,
        step: (stepIndex) => this.trainStep(stepIndex),
        evaluate: this.evalPrompts !== undefined ? () => this.evaluate() : undefined,
        evalEvery: this.config.evalSteps,
        save: () => this.checkpointContent(),
        restore: (checkpoint) => this.restore(checkpoint),
        trainer: this.kind,
        modelConfig: lmModelArchitecture(this.model),
        progress: { metrics: [GROUP_METRIC_NAMES.reward, METRIC_NAMES.loss, GROUP_METRIC_NAMES.kl] },
      },
      options,
    );
  }

  /** Frees the optimiser state and what the trainer created (the default reference); not your models. */
  dispose(): void {
    this.optimizer.dispose();
    for (const object of this.owned) object.dispose();
  }

  private microBatchLoss(
    rollout: GroupRollout,
    advantages: readonly number[],
    rows: readonly number[],
    normalization: GroupLossNormalization,
  ): GroupPolicyLoss {
    return tf.tidy(() => {
      const T = rollout.layout.responseLength;
      const constant = (values: Float32Array): tf.Tensor2D => tf.tensor2d(pickRows(values, rows, T), [rows.length, T]);
      const inputs = rolloutTensors(rollout.layout, rows);
      const current = responseLogProbs(this.model, inputs, this.config.temperature);
      return this.lossOf({
        logProbs: tf.mul(current.logProbs, inputs.responseMask) as tf.Tensor2D,
        oldLogProbs: constant(rollout.oldLogProbs),
        referenceLogProbs: rollout.referenceLogProbs === undefined ? undefined : constant(rollout.referenceLogProbs),
        advantages: tf.tensor1d(rows.map((row) => advantages[row]!)),
        mask: inputs.responseMask,
        normalization,
      });
    });
  }

  private own<T extends { dispose(): void }>(object: T): T {
    this.owned.push(object);
    return object;
  }
}
