import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, METRIC_NAMES, MetricAccumulator } from '@dpo-ts/core';
import {
  Rng,
  adamWFromConfig,
  engineWorkers,
  lrScheduleFromConfig,
  microBatchStep,
  restoreWeights,
  runTrainerLoop,
} from '@dpo-ts/core/training';
import { epochBatches } from '@dpo-ts/core/data';
import { withGradientEngine } from '@dpo-ts/core/parallel';
import type { Metrics, NamedVariables } from '@dpo-ts/core';
import type {
  AdamWOptimizer,
  CheckpointContent,
  LRSchedule,
  LoadedCheckpoint,
  TrainingLoopResult,
} from '@dpo-ts/core/training';
import type { GradientEngine } from '@dpo-ts/core/parallel';
import { lmModelArchitecture, type GPT, type Tokenizer } from '@dpo-ts/lm';
import { ScalarHead } from '@dpo-ts/reward';
import {
  AdaptiveKLController,
  FixedKLController,
  klControllerFromState,
  type KLController,
  type KLControllerState,
} from './adaptive-kl-controller.js';
import { resolvePPOConfig, type ResolvedPPOConfig } from './ppo-config.js';
import { ppoLoss, type PPOUpdateBatch } from './ppo-loss.js';
import { resolvePPOTrainerInputs } from './ppo-trainer-inputs.js';
import { PPO_TIMING_METRIC_NAMES, PPO_VALUE_WARMUP_METRIC } from './ppo-metrics.js';
import { collectRollout, type PPOModels, type PPORolloutBatch } from './ppo-rollout.js';
import type { PPOTrainOptions, PPOTrainerOptions } from './ppo-trainer-options.js';
import {
  createPPOUpdateTask,
  everyRow,
  ppoUpdateBatch,
  ppoUpdateTaskConfig,
  ppoUpdateTaskSpec,
  ppoUpdateVariables,
} from './ppo-update-task.js';
import { evaluateCompletions } from './evaluate-completions.js';
import type { RewardSource } from './reward-source.js';
import { loadPolicyModel, savePolicyModel, type SavedPolicyModel } from './saved-policy-model.js';
import {
  evaluationSampling,
  openRolloutPool,
  rolloutSampling,
  withSamplingPool,
  type RolloutPool,
} from './sampling-workers.js';

/**
 * PPO for language models with TRL's `PPOTrainer` semantics. One {@link PPOTrainer.trainStep}
 * is one update: `batchSize` prompts (reshuffled each epoch, seeded) → completions with per-token
 * log-probs → scores → reference log-probs, old log-probs and values → per-token KL penalty,
 * score at the last token, GAE, whitened advantages ({@link collectRollout}) → `numPpoEpochs`
 * passes over shuffled minibatches, each an AdamW step on
 * `clippedPolicyLoss + vfCoef * clippedValueLoss` (gradients averaged over
 * `gradientAccumulationSteps` micro-batches) → the KL controller's update.
 *
 * Trained variables, by checkpoint name: `policy/<GPT name>`, `critic/<GPT name>` (with a
 * separate critic), `value_head.kernel`, `value_head.bias`. Checkpoints also hold the AdamW
 * state, the sampling and shuffling generators and the KL controller; the reference and the
 * reward are not saved (pass the same ones when resuming).
 *
 * Tensors: nothing survives a step but variables and optimiser state.
 *
 * @see Schulman et al. 2017 (PPO); Ziegler et al. 2019; Ouyang et al. 2022, Sec. 3.5; Huang et
 *   al. 2024, "The N+ Implementation Details of RLHF with PPO"; TRL `PPOTrainer`.
 *
 * @example
 * ```ts
 * import { loadPromptJsonl } from '@dpo-ts/core/data';
 * import { selectBackend } from '@dpo-ts/core/backend';
 * import { SFTTrainer } from '@dpo-ts/lm';
 * import { RewardTrainer } from '@dpo-ts/reward';
 * import { PPOTrainer, rewardModelScorer } from '@dpo-ts/rlhf';
 *
 * await selectBackend();
 * const { model, tokenizer } = await SFTTrainer.load('runs/sft/model'); // the policy to improve
 * const { model: rewardModel } = await RewardTrainer.load('runs/rm/model'); // a Bradley-Terry reward model
 * const trainer = await PPOTrainer.create({
 *   model, // the policy; the reference is a frozen clone of it, the value head sits on its backbone
 *   tokenizer,
 *   trainDataset: await loadPromptJsonl('prompts.jsonl'), // { prompt } per line
 *   evalDataset: await loadPromptJsonl('held-out-prompts.jsonl'),
 *   reward: rewardModelScorer(rewardModel, tokenizer), // or (prompt, completion) => number
 *   config: { totalSteps: 100, batchSize: 16, responseLength: 24, learningRate: 1e-5, klCoef: 0.05, evalSteps: 25 },
 * });
 * await trainer.train({ checkpoint: { dir: 'runs/ppo', resume: 'auto' } });
 * const metrics = await trainer.evaluate(); // eval_reward, eval_reward_std, eval_completions/mean_length, ...
 * await trainer.save('runs/ppo/model'); // policy, tokenizer, value head: PPOTrainer.load('runs/ppo/model') reads them back
 * trainer.dispose();
 * model.dispose();
 * rewardModel.dispose();
 * ```
 */
export class PPOTrainer {
  /** The resolved config the trainer runs with, every default filled in; frozen. */
  readonly config: ResolvedPPOConfig & {
    /**
     * Longest prompt in tokens, BOS included (longer prompts keep their end): `config.maxPromptLength`,
     * or the policy's `contextLength - responseLength + 1`. TRL: `max_prompt_length`.
     */
    readonly maxPromptLength: number;
  };
  /** The policy being trained. */
  readonly model: GPT;
  /** The frozen reference. */
  readonly referenceModel: GPT;
  /** @deprecated the same as {@link PPOTrainer.model}. */
  readonly policy: GPT;
  /** @deprecated the same as {@link PPOTrainer.referenceModel}. */
  readonly reference: GPT;
  /**
   * The separate value backbone (TRL's `value_model`), trained with the value loss; undefined:
   * the value head reads the policy's backbone. The caller's; the trainer does not dispose it.
   */
  readonly critic: GPT | undefined;
  /**
   * The scalar value head (`value_head.kernel`, `value_head.bias`): the one given, or a
   * zero-initialised head with bias that the trainer owns and frees in {@link PPOTrainer.dispose}.
   */
  readonly valueHead: ScalarHead;
  /** {@inheritDoc PPOTrainerOptions.tokenizer} */
  readonly tokenizer: Tokenizer;
  /** The training prompts (`trainDataset`'s `prompt` fields). */
  readonly prompts: readonly string[];
  private readonly evalPrompts: readonly string[] | undefined;
  /** Deprecated option names used at creation, reported through `train({ onWarning })`. */
  private readonly deprecations: readonly string[];
  /**
   * AdamW over the policy, the value head and the critic (the trained variables, by checkpoint
   * name); its state is freed by {@link PPOTrainer.dispose}.
   */
  readonly optimizer: AdamWOptimizer;
  /** The β schedule; replaced on restore. */
  klController: KLController;
  private readonly promptIds: readonly (readonly number[])[];
  private readonly reward: RewardSource;
  private readonly trainable: NamedVariables;
  /** The value model's variables (value head, and the separate critic): what the warm-up trains. */
  private readonly valueVariables: NamedVariables;
  private readonly schedule: LRSchedule;
  private readonly owned: { dispose(): void }[] = [];
  private samplingRng: Rng;
  /** The sampling pool `train()` opened; undefined outside `train()` or on the single-thread path. */
  private samplingPool: RolloutPool;
  /** The gradient workers `train()` opened (`config.workers` > 1); undefined otherwise. */
  private updateEngine: GradientEngine<PPOUpdateBatch> | undefined;
  private shuffleRng: Rng;
  /** Updates completed (the `step` {@link PPOTrainer.save} records); set by training and restore. */
  private completedSteps = 0;

  /**
   * Validates the options and the config (once) and builds the trainer: the same
   * `await PPOTrainer.create({ model, ..., trainDataset, config })` as every dpo-ts trainer
   * (`policy`, `reference` and `prompts` are the deprecated names of `model`, `referenceModel` and
   * `trainDataset`).
   * @throws InvalidArgumentError naming the option or config field, what it accepts and what it got.
   */
  static async create(options: PPOTrainerOptions): Promise<PPOTrainer> {
    return new PPOTrainer(options);
  }

  private constructor(options: PPOTrainerOptions) {
    const resolved = resolvePPOConfig(options.config);
    const { tokenizer } = options;
    const { policy, reference, prompts, evalPrompts, deprecations, maxPromptLength } = resolvePPOTrainerInputs(
      options,
      resolved,
    );
    this.deprecations = deprecations;
    this.prompts = prompts;
    this.evalPrompts = evalPrompts;
    this.config = Object.freeze({ ...resolved, maxPromptLength });
    this.policy = policy;
    this.model = policy;
    this.tokenizer = tokenizer;
    this.reward = options.reward;
    this.critic = options.critic;
    this.reference = reference ?? this.own(policy.clone());
    this.referenceModel = this.reference;
    const backbone = options.critic ?? policy;
    this.valueHead =
      options.valueHead ??
      this.own(new ScalarHead({ inputSize: backbone.config.dModel, bias: true, initStd: 0, name: 'value_head' }));
    if (this.valueHead.inputSize !== backbone.config.dModel)
      throw new InvalidArgumentError(
        'valueHead.inputSize',
        `the value backbone's dModel ${backbone.config.dModel}`,
        this.valueHead.inputSize,
      );
    this.promptIds = this.prompts.map((prompt) => this.encodePrompt(prompt));
    const trainable = ppoUpdateVariables(this.models());
    this.trainable = trainable;
    this.valueVariables = new Map([...trainable].filter(([name]) => !name.startsWith('policy/')));
    this.optimizer = adamWFromConfig(trainable, resolved);
    // Stepped once per PPO update (not per minibatch), as TRL does.
    this.schedule = lrScheduleFromConfig(resolved);
    this.klController =
      resolved.klController === 'adaptive'
        ? new AdaptiveKLController(resolved.klCoef, resolved.klTarget, resolved.klHorizon)
        : new FixedKLController(resolved.klCoef);
    this.samplingRng = new Rng(resolved.seed);
    this.shuffleRng = new Rng((resolved.seed + 0x5bd1e995) >>> 0);
  }

  /** The trained variables by checkpoint name (see the class notes). */
  namedVariables(): NamedVariables {
    return this.trainable;
  }

  /** Indices of the prompts of a 0-based update: a function of the seed and the step only. */
  promptIndicesForStep(stepIndex: number): readonly number[] {
    const indices = this.prompts.map((_, i) => i);
    return epochBatches(indices, {
      batchSize: this.config.batchSize,
      seed: this.config.seed,
      dropLast: true,
      startStep: stepIndex,
    }).next().value!.items;
  }

  /** Samples and scores the rollouts of update `stepIndex` (the first phase of {@link PPOTrainer.trainStep}). */
  async rollout(stepIndex: number): Promise<PPORolloutBatch> {
    const indices = this.promptIndicesForStep(stepIndex);
    return collectRollout(
      this.models(),
      this.tokenizer,
      indices.map((i) => this.prompts[i]!),
      indices.map((i) => this.promptIds[i]!),
      this.reward,
      {
        ...this.config,
        klCoef: this.klController.value,
      },
      this.samplingRng,
      rolloutSampling(this.samplingPool),
    );
  }

  /**
   * One PPO update (see the class notes). Returns TRL's metrics (`objective/*`, `policy/*`,
   * `loss/*`, `val/*`, `kl_coef`), `loss`, `grad_norm` (mean over optimiser steps, before
   * clipping), `learning_rate`, and the phase timings of `PPO_TIMING_METRIC_NAMES`. A non-finite
   * loss or gradient norm throws core's `NonFiniteError` before that minibatch's weights change.
   */
  async trainStep(stepIndex: number): Promise<Metrics> {
    const batch = await this.rollout(stepIndex);
    const warmup = stepIndex < this.config.valueWarmupSteps;
    const learningRate = this.schedule(stepIndex);
    const started = performance.now();
    const { batchSize, miniBatchSize, microBatchSize } = this.config;
    const stats = new MetricAccumulator();
    const gradNorms: number[] = [];
    for (let epoch = 0; epoch < this.config.numPpoEpochs; epoch++) {
      const order = this.shuffleRng.permutation(batchSize);
      for (let start = 0; start < batchSize; start += miniBatchSize) {
        const miniBatch = order.slice(start, start + miniBatchSize);
        const microBatches: PPOUpdateBatch[] = [];
        for (let micro = 0; micro < miniBatchSize; micro += microBatchSize)
          microBatches.push(ppoUpdateBatch(batch, miniBatch.slice(micro, micro + microBatchSize)));
        const result = await microBatchStep({
          optimizer: this.optimizer,
          variables: warmup ? this.valueVariables : this.trainable,
          microBatches,
          // The warm-up trains the value variables alone: on the main thread, whatever `workers`.
          ...(warmup || this.updateEngine === undefined ? {} : { engine: this.updateEngine }),
          lossAndMetrics: (micro) =>
            warmup ? this.valueWarmupLoss(micro) : ppoLoss(this.models(), micro, everyRow(micro), this.config),
          reduction: 'mean', // gradientAccumulationSteps micro-batches per mini-batch
          learningRate,
          maxGradNorm: this.config.maxGradNorm,
          stepIndex,
        });
        for (const micro of result.microBatches) stats.add({ [METRIC_NAMES.loss]: micro.loss, ...micro.metrics });
        gradNorms.push(result.gradNorm);
      }
    }
    const optimization = stats.mean();
    const klCoef = this.klController.value;
    // During the critic warm-up the policy does not move, so neither does the KL controller.
    if (!warmup) this.klController.update(batch.metrics[METRIC_NAMES.objectiveKl]!, batchSize);
    this.completedSteps = stepIndex + 1;
    return {
      ...batch.metrics,
      ...optimization,
      [METRIC_NAMES.klCoefficient]: klCoef,
      [METRIC_NAMES.gradNorm]: gradNorms.reduce((a, b) => a + b, 0) / gradNorms.length,
      [METRIC_NAMES.learningRate]: learningRate,
      [PPO_TIMING_METRIC_NAMES.optimizationSeconds]: (performance.now() - started) / 1000,
      [PPO_VALUE_WARMUP_METRIC]: warmup ? 1 : 0,
    };
  }

  /** The clipped value loss alone, for the critic warm-up (see `valueWarmupSteps`). */
  private valueWarmupLoss(micro: PPOUpdateBatch): ReturnType<typeof ppoLoss> {
    return tf.tidy(() => {
      const full = ppoLoss(this.models(), micro, everyRow(micro), this.config);
      return { loss: tf.clone(full.metrics[METRIC_NAMES.lossValueAvg]!), metrics: full.metrics };
    });
  }

  /**
   * Samples completions for `prompts` with the current policy and scores them, without
   * training and without touching the training generators (a fresh `Rng(seed)`).
   * @returns the completions, their scores (missing-EOS penalty not applied) and the mean score.
   */
  async generateCompletions(
    prompts: readonly string[],
    options: { readonly seed?: number; readonly temperature?: number } = {},
  ): Promise<{
    /** The decoded completion of each prompt, in the order of `prompts`. */
    completions: string[];
    /** The reward of each completion, in the same order (missing-EOS penalty not applied). */
    scores: number[];
    /** The mean of `scores`. */
    meanScore: number;
  }> {
    if (prompts.length === 0) throw new InvalidArgumentError('prompts', 'a non-empty array', prompts);
    const ids = prompts.map((prompt) => this.encodePrompt(prompt));
    const settings = {
      ...this.config,
      temperature: options.temperature ?? this.config.temperature,
      missingEosPenalty: undefined,
      klCoef: this.klController.value,
    };
    const batch = await collectRollout(
      this.models(),
      this.tokenizer,
      prompts,
      ids,
      this.reward,
      settings,
      new Rng(options.seed ?? 0),
    );
    return {
      completions: [...batch.completions],
      scores: [...batch.scores],
      meanScore: batch.metrics[METRIC_NAMES.objectiveScores]!,
    };
  }

  /**
   * One completion per `evalDataset` prompt from the current policy (a fresh generator seeded
   * with `config.seed`; training generators untouched), scored by the reward without the
   * missing-EOS penalty: `eval_reward`, `eval_reward_std` and the `eval_completions/*` lengths.
   * @throws InvalidArgumentError when the trainer was created without `evalDataset`.
   */
  async evaluate(): Promise<Metrics> {
    if (this.evalPrompts === undefined)
      throw new InvalidArgumentError('evalDataset', 'a dataset given to create() before evaluate()', undefined);
    const ids = this.evalPrompts.map((prompt) => this.encodePrompt(prompt));
    return evaluateCompletions(
      this.policy,
      this.tokenizer,
      this.evalPrompts,
      ids,
      this.reward,
      {
        maxNewTokens: this.config.responseLength,
        temperature: this.config.temperature,
        stopAtEos: this.config.stopAtEos,
        seed: this.config.seed,
      },
      evaluationSampling(this.samplingPool, this.policy, this.config.samplingWorkers, this.config.batchSize),
    );
  }

  /** Trained weights, optimiser, generators and KL controller. */
  async checkpointContent(): Promise<CheckpointContent> {
    return {
      weights: this.trainable,
      optimizer: await this.optimizer.state(),
      rng: { sampling: this.samplingRng.state(), shuffle: this.shuffleRng.state() },
      metadata: { trainer: 'ppo', klController: { ...this.klController.state() } },
    };
  }

  /** Restores what {@link PPOTrainer.checkpointContent} saved. */
  restore(checkpoint: LoadedCheckpoint): void {
    restoreWeights(this.trainable, checkpoint.weights, { source: checkpoint.path });
    this.completedSteps = checkpoint.step;
    if (checkpoint.optimizer !== undefined) this.optimizer.loadState(checkpoint.optimizer);
    const { sampling, shuffle } = checkpoint.rng;
    if (sampling !== undefined) this.samplingRng = Rng.fromState(sampling);
    if (shuffle !== undefined) this.shuffleRng = Rng.fromState(shuffle);
    const metadata = checkpoint.metadata as { klController?: KLControllerState } | null;
    if (metadata?.klController !== undefined) this.klController = klControllerFromState(metadata.klController);
  }

  /**
   * Saves the policy as trained so far, atomically, as an lm model (`config.json`, weights,
   * `tokenizer.json`, `trainer.json` with kind `'ppo'`, this config and the updates completed)
   * plus the value head (`value-head.json` + `.bin`) and a separate critic (`critic-*`): rlhf's
   * {@link savePolicyModel}. `dpo-ts sample` and every lm trainer's `load` read the policy; a
   * failed save leaves a previous model in `dir` intact. {@link PPOTrainer.load} reads it all back.
   */
  async save(dir: string): Promise<void> {
    await savePolicyModel(dir, {
      kind: 'ppo',
      model: this.policy,
      tokenizer: this.tokenizer,
      trainerConfig: this.config,
      step: this.completedSteps,
      valueHead: this.valueHead,
      ...(this.critic === undefined ? {} : { critic: this.critic }),
    });
  }

  /**
   * Reads a model saved by {@link PPOTrainer.save} (or by any lm trainer: an SFT model starts
   * PPO with a fresh value head) as `{ model, tokenizer, valueHead, critic, manifest }`, ready for
   * `PPOTrainer.create({ model, tokenizer, valueHead, critic, ... })`. The caller disposes the
   * model, value head and critic.
   */
  static load(dir: string): Promise<SavedPolicyModel> {
    return loadPolicyModel(dir);
  }

  /** Frees the optimiser state and what the trainer created (default reference, value head). */
  dispose(): void {
    this.optimizer.dispose();
    for (const object of this.owned) object.dispose();
  }

  /**
   * Runs `config.totalSteps` updates through core's `runTrainingLoop`: progress lines,
   * evaluation (`evaluate` every `evalEvery` updates), checkpoints, resume, NaN guard, leak check.
   * With `config.samplingWorkers` resolving to more than 1, one sampling pool serves every
   * rollout and evaluation of the run; with `config.workers` resolving to more than 1, a
   * gradient worker pool ({@link createPPOUpdateTask} replicas) computes the micro-batches of
   * every minibatch. Both are closed when `train()` returns or throws.
   */
  async train(options: PPOTrainOptions<PPOTrainer> = {}): Promise<TrainingLoopResult> {
    const { evaluate, evalEvery, ...rest } = options;
    for (const message of this.deprecations) options.onWarning?.(message);
    const evaluation =
      evaluate !== undefined
        ? () => evaluate(this)
        : this.evalPrompts !== undefined
          ? () => this.evaluate()
          : undefined;
    return withSamplingPool(
      openRolloutPool(this.policy, this.config.samplingWorkers, this.config.batchSize),
      async (pool) => {
        this.samplingPool = pool;
        try {
          return await withGradientEngine(this.updateEngineOptions(), async (engine) => {
            this.updateEngine = engine;
            try {
              return await this.runLoop(evaluation, evalEvery, rest);
            } finally {
              this.updateEngine = undefined;
            }
          });
        } finally {
          this.samplingPool = undefined;
        }
      },
    );
  }

  private runLoop(
    evaluation: (() => Promise<Metrics>) | undefined,
    evalEvery: number | undefined,
    rest: Omit<PPOTrainOptions<PPOTrainer>, 'evaluate' | 'evalEvery'>,
  ): Promise<TrainingLoopResult> {
    return runTrainerLoop(
      {
        totalSteps: this.config.totalSteps,
        step: (stepIndex) => this.trainStep(stepIndex),
        evaluate: evaluation,
        evalEvery: evalEvery ?? this.config.evalSteps,
        save: () => this.checkpointContent(),
        restore: (checkpoint) => this.restore(checkpoint),
        trainer: 'ppo',
        modelConfig: lmModelArchitecture(this.policy),
      },
      rest,
    );
  }

  /** BOS + the prompt's ids, keeping the end of a prompt longer than `maxPromptLength`. */
  private encodePrompt(prompt: string): number[] {
    const ids = this.tokenizer.encode(prompt);
    return [this.tokenizer.bosTokenId, ...ids.slice(Math.max(0, ids.length - (this.config.maxPromptLength - 1)))];
  }

  /** The update's gradient engine: the policy, critic and value head rebuilt in each worker. */
  private updateEngineOptions() {
    const models = this.models();
    return {
      task: createPPOUpdateTask(ppoUpdateTaskConfig(models, this.config), models),
      spec: ppoUpdateTaskSpec(ppoUpdateTaskConfig(models, this.config)),
      workers: engineWorkers(this.config.workers),
      microBatchesPerStep: this.config.gradientAccumulationSteps,
    };
  }

  private models(): PPOModels {
    return { policy: this.policy, reference: this.reference, critic: this.critic, valueHead: this.valueHead };
  }

  private own<T extends { dispose(): void }>(object: T): T {
    this.owned.push(object);
    return object;
  }
}
