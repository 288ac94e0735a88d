import { InvalidArgumentError } from '@dpo-ts/core';
import { adamWFromConfig, lrScheduleFromConfig, restoreWeights, Rng, runTrainerLoop } from '@dpo-ts/core/training';
import { epochBatches } from '@dpo-ts/core/data';
import { withGradientEngine, type GradientEngine, type GradientEngineOptions } from '@dpo-ts/core/parallel';
import type { Metrics, NamedVariables } from '@dpo-ts/core';
import type {
  AdamWOptimizer,
  CheckpointContent,
  JsonValue,
  LoadedCheckpoint,
  LRSchedule,
  ResolvedOptimizationConfig,
  TrainingLoopResult,
  TrainOptions,
} from '@dpo-ts/core/training';
import {
  lmModelArchitecture,
  loadLanguageModel,
  saveLanguageModel,
  type GPT,
  type SavedLanguageModel,
  type Tokenizer,
} from '@dpo-ts/lm';
import type { PromptExample } from './group/group-trainer-options.js';
import { policyUpdateVariables } from './policy-update-variables.js';
import { datasetPrompts, encodePrompt } from './prompt-encoding.js';
import type { RolloutSampling } from './rollout-generation.js';
import {
  evaluationSampling,
  openRolloutPool,
  rolloutSampling,
  withSamplingPool,
  type RolloutPool,
} from './sampling-workers.js';

/** The resolved config fields {@link PromptPolicyTrainerBase} reads. */
export type PromptPolicyTrainerConfig = ResolvedOptimizationConfig & {
  /** Prompts drawn per step (reshuffled each epoch, seeded). */
  readonly promptsPerStep: number;
  /** Longest prompt in tokens (BOS included); undefined: what the context leaves. */
  readonly maxPromptLength: number | undefined;
  /** Evaluate every this many steps during `train()`; undefined: never. */
  readonly evalSteps: number | undefined;
  /** The run's seed: prompt order, sampling generator, evaluation. */
  readonly seed: number;
  /** Sampling threads of `train()` (see `SamplingWorkersArgument`). */
  readonly samplingWorkers: number | 'auto';
};

/** What {@link PromptPolicyTrainerBase} builds from a trainer's options. */
export interface PromptPolicyTrainerInputs {
  /** The policy; all its weights are trained in place. */
  readonly model: GPT;
  /** The frozen reference; must not be `model` itself. @defaultValue see `PromptPolicySettings.defaultReference` */
  readonly referenceModel?: GPT | undefined;
  /** The tokenizer of both models. */
  readonly tokenizer: Tokenizer;
  /** `{ prompt }` records to sample from. */
  readonly trainDataset: readonly PromptExample[];
  /** Held-out `{ prompt }` records for `evaluate()`. @defaultValue none */
  readonly evalDataset?: readonly PromptExample[] | undefined;
}

/** How a trainer of {@link PromptPolicyTrainerBase} sizes and names its completions. */
export interface PromptPolicySettings {
  /** Tokens sampled per completion. */
  readonly completionLength: number;
  /** That length's config name, for errors (`'maxCompletionLength'`, `'maxNewTokens'`). */
  readonly completionLengthName: string;
  /** Whether to clone `model` as the reference when none is given. */
  readonly defaultReference: boolean;
  /** Completions sampled per step (rows of a rollout), to size the sampling pool. */
  readonly rolloutRows: number;
}

/**
 * What RLOO, GRPO and online DPO share around their step: a GPT policy trained on `{ prompt }`
 * data, a frozen reference, the prompts encoded once (BOS + left-truncated to `maxPromptLength`),
 * AdamW and the learning-rate schedule, the seeded sampling generator, checkpoints
 * (`policy/<name>` weights, AdamW state, `rng.sampling`, plus what {@link PromptPolicyTrainerBase.checkpointMetadata}
 * adds), core's training loop, `save(dir)` / `load(dir)` and disposal. A subclass gives the
 * step, the evaluation, its kind and its progress metrics.
 *
 * Tensors: nothing survives a step but variables and optimiser state; `dispose()` frees the
 * optimiser state and the default reference, never the caller's models.
 */
export abstract class PromptPolicyTrainerBase<TConfig extends PromptPolicyTrainerConfig> {
  /** The resolved config, with `maxPromptLength` resolved against the models. */
  readonly config: TConfig & {
    /**
     * Longest prompt in tokens, BOS included (longer prompts keep their end): `config.maxPromptLength`,
     * or the policy's `contextLength` minus the completion length plus 1. TRL: `max_prompt_length`.
     */
    readonly maxPromptLength: number;
  };
  /** The policy being trained. */
  readonly model: GPT;
  /** The frozen reference; undefined when the trainer needs none and none was given. */
  readonly referenceModel: GPT | undefined;
  /** The tokenizer of the policy and the reference. */
  readonly tokenizer: Tokenizer;
  /** AdamW over {@link PromptPolicyTrainerBase.namedVariables}. */
  readonly optimizer: AdamWOptimizer;
  /** The training prompts (`trainDataset`'s `prompt` fields). */
  protected readonly trainPrompts: readonly string[];
  /** The training prompts as token ids (BOS + left-truncated). */
  protected readonly trainPromptIds: readonly (readonly number[])[];
  /** The evaluation prompts; undefined without `evalDataset`. */
  protected readonly evalPrompts: readonly string[] | undefined;
  /** The learning rate of a 0-based step. */
  protected readonly schedule: LRSchedule;
  /** The sampling generator; replaced on restore. */
  protected samplingRng: Rng;
  /** The sampling pool `train()` opened; undefined outside `train()` or on the single-thread path. */
  private samplingPool: RolloutPool;
  private readonly rolloutRows: number;
  private readonly trainable: NamedVariables;
  private readonly owned: { dispose(): void }[] = [];
  /** Trainer steps completed (the `step` `save` records); set by {@link PromptPolicyTrainerBase.trainStep}'s caller and restore. */
  private completedSteps = 0;

  /** The trainer's kind in checkpoints and `trainer.json` (`'rloo'`, `'grpo'`, `'online-dpo'`). */
  protected abstract readonly kind: string;
  /** The metrics of the progress lines. */
  protected abstract readonly progressMetrics: readonly string[];

  /**
   * Checks the models against the tokenizer and the prompt and completion lengths, reads the
   * datasets, encodes the prompts and builds the optimiser, schedule and sampling generator.
   * @throws InvalidArgumentError naming `model.vocabSize`, `referenceModel.vocabSize`,
   *   `config.maxPromptLength`, `referenceModel` (the policy itself) or a dataset record.
   */
  protected constructor(options: PromptPolicyTrainerInputs, resolved: TConfig, settings: PromptPolicySettings) {
    const { model, tokenizer } = options;
    const { completionLength, completionLengthName } = settings;
    const maxPromptLength = resolved.maxPromptLength ?? model.contextLength - completionLength + 1;
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
      if (maxPromptLength < 1 || maxPromptLength + completionLength - 1 > candidate.contextLength) {
        throw new InvalidArgumentError(
          'config.maxPromptLength',
          `>= 1 and <= ${name}.contextLength - ${completionLengthName} + 1 = ${candidate.contextLength - completionLength + 1}`,
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
    this.referenceModel = options.referenceModel ?? (settings.defaultReference ? this.own(model.clone()) : undefined);
    this.trainPromptIds = this.trainPrompts.map((prompt) => encodePrompt(tokenizer, prompt, maxPromptLength));
    const trainable = policyUpdateVariables(model);
    this.trainable = trainable;
    this.optimizer = adamWFromConfig(trainable, resolved);
    this.schedule = lrScheduleFromConfig(resolved);
    this.samplingRng = new Rng(resolved.seed);
    this.rolloutRows = settings.rolloutRows;
  }

  /** One step, 0-based: sample, score, update. */
  abstract trainStep(stepIndex: number): Promise<Metrics>;

  /** The held-out metrics (`eval_` keys) on `evalDataset`. */
  abstract evaluate(): Promise<Metrics>;

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

  /** Trained weights, optimiser state, the sampling generator and the subclass's metadata. */
  async checkpointContent(): Promise<CheckpointContent> {
    return {
      weights: this.trainable,
      optimizer: await this.optimizer.state(),
      rng: { sampling: this.samplingRng.state() },
      metadata: { trainer: this.kind, ...this.checkpointMetadata() },
    };
  }

  /** Restores what {@link PromptPolicyTrainerBase.checkpointContent} saved. */
  restore(checkpoint: LoadedCheckpoint): void {
    restoreWeights(this.trainable, checkpoint.weights, { source: checkpoint.path });
    this.completedSteps = checkpoint.step;
    if (checkpoint.optimizer !== undefined) this.optimizer.loadState(checkpoint.optimizer);
    if (checkpoint.rng.sampling !== undefined) this.samplingRng = Rng.fromState(checkpoint.rng.sampling);
    this.restoreMetadata(checkpoint.metadata as Readonly<Record<string, JsonValue>> | null);
  }

  /**
   * Runs `config.totalSteps` steps through core's `runTrainerLoop`: progress, evaluation every
   * `config.evalSteps` (with an `evalDataset`), checkpoints, resume, abort; the same options as
   * every dpo-ts trainer. With `config.samplingWorkers` resolving to more than 1, one
   * sampling pool serves every rollout and evaluation of the run; it is closed when `train()`
   * returns or throws (abort included).
   */
  async train(options: TrainOptions = {}): Promise<TrainingLoopResult> {
    return withSamplingPool(
      openRolloutPool(this.model, this.config.samplingWorkers, this.rolloutRows),
      async (pool) => {
        this.samplingPool = pool;
        try {
          return await this.withUpdateEngine(() => this.runLoop(options));
        } finally {
          this.samplingPool = undefined;
        }
      },
    );
  }

  /**
   * Runs `run` (the training loop) inside whatever the subclass's updates need for the whole of
   * `train()`: RLOO, GRPO and online DPO open their gradient worker pool here. The default runs
   * it as is.
   */
  protected withUpdateEngine<T>(run: () => Promise<T>): Promise<T> {
    return run();
  }

  /**
   * The body of a subclass's {@link withUpdateEngine}: runs `run` with the gradient engine of
   * `options` open (a worker pool when `workers` resolves to more than 1), handing it to `attach`
   * for the run's duration and `undefined` after it (also when `run` throws).
   */
  protected runWithGradientEngine<TBatch, T>(
    options: GradientEngineOptions<TBatch>,
    attach: (engine: GradientEngine<TBatch> | undefined) => void,
    run: () => Promise<T>,
  ): Promise<T> {
    return withGradientEngine(options, async (engine) => {
      attach(engine);
      try {
        return await run();
      } finally {
        attach(undefined);
      }
    });
  }

  /** The `sampling` argument of rollouts and evaluation: the open pool, or undefined (the main thread). */
  protected rolloutSampling(): RolloutSampling | undefined {
    return rolloutSampling(this.samplingPool);
  }

  /**
   * The `sampling` argument of evaluation: the open pool during `train()`; outside it, workers
   * started for the call when `train()` would use a pool (so an evaluation samples the same
   * completions inside and outside `train()`), else undefined (the main thread).
   */
  protected evaluationSampling(): RolloutSampling | undefined {
    return evaluationSampling(this.samplingPool, this.model, this.config.samplingWorkers, this.rolloutRows);
  }

  private runLoop(options: TrainOptions): Promise<TrainingLoopResult> {
    return runTrainerLoop(
      {
        totalSteps: this.config.totalSteps,
        step: async (stepIndex) => {
          const metrics = await this.trainStep(stepIndex);
          this.completedSteps = stepIndex + 1;
          return metrics;
        },
        evaluate: this.evalPrompts !== undefined ? () => this.evaluate() : undefined,
        evalEvery: this.config.evalSteps,
        save: () => this.checkpointContent(),
        restore: (checkpoint) => this.restore(checkpoint),
        trainer: this.kind,
        modelConfig: lmModelArchitecture(this.model),
        progress: { metrics: this.progressMetrics },
      },
      options,
    );
  }

  /**
   * Saves the policy as trained so far (weights, `config.json`, `tokenizer.json` and
   * `trainer.json` with this trainer's kind, config and the steps `train()` completed) to `dir`,
   * atomically (lm's `saveLanguageModel`): a failed save leaves a previous model in `dir` intact.
   * `dpo-ts sample` and every lm trainer's `load` read it.
   */
  async save(dir: string): Promise<void> {
    await saveLanguageModel(dir, {
      kind: this.kind,
      model: this.model,
      tokenizer: this.tokenizer,
      trainerConfig: this.config,
      step: this.completedSteps,
    });
  }

  /**
   * Reads a model saved by an lm trainer's `save(dir)` (SFT, DPO, PPO, RLOO, GRPO, online DPO:
   * lm's `loadLanguageModel`) as `{ model, tokenizer, manifest }`, to sample from or to start
   * this trainer (a saved SFT model is the usual start). The caller disposes the model.
   */
  static load(dir: string): Promise<SavedLanguageModel> {
    return loadLanguageModel(dir);
  }

  /** Frees the optimiser state and what the trainer created (the default reference); not your models. */
  dispose(): void {
    this.optimizer.dispose();
    for (const object of this.owned) object.dispose();
  }

  /** The prompts of `evalDataset` as token ids (BOS + left-truncated). */
  protected evalPromptIds(prompts: readonly string[]): number[][] {
    return prompts.map((prompt) => encodePrompt(this.tokenizer, prompt, this.config.maxPromptLength));
  }

  /** The subclass's checkpoint metadata besides `trainer`. @defaultValue none */
  protected checkpointMetadata(): Readonly<Record<string, JsonValue>> {
    return {};
  }

  /** Restores what {@link PromptPolicyTrainerBase.checkpointMetadata} saved. */
  protected restoreMetadata(_metadata: Readonly<Record<string, JsonValue>> | null): void {}

  /** Registers an object {@link PromptPolicyTrainerBase.dispose} frees. */
  private own<T extends { dispose(): void }>(object: T): T {
    this.owned.push(object);
    return object;
  }
}
