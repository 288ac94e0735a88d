import { InvalidArgumentError, MetricAccumulator, type Metrics, type NamedVariables } from '@dpo-ts/core';
import {
  Rng,
  mixSeeds,
  adamWFromConfig,
  lrScheduleFromConfig,
  microBatchStep,
  restoreWeights,
  runTrainerLoop,
  type AdamWOptimizer,
  type CheckpointContent,
  type LRSchedule,
  type LoadedCheckpoint,
  type TrainingLoopResult,
} from '@dpo-ts/core/training';
import { resolveWorkerCount, withGradientEngine, type GradientEngine } from '@dpo-ts/core/parallel';
import {
  denoiserArchitecture,
  loadDiffusionModel,
  saveDiffusionModel,
  type Denoiser,
  type ImageReward,
  type NoiseSchedule,
  type SavedDiffusionModel,
} from '@dpo-ts/diffusion';
import type { PPOTrainOptions } from '../ppo-trainer-options.js';
import { requireReferenceForKl, resolveDDPOConfig, type DDPOConfig, type ResolvedDDPOConfig } from './ddpo-config.js';
import { type ConditionExample, evaluateDDPO, resolveDDPOConditions } from './ddpo-dataset.js';
import {
  createDDPOUpdateTask,
  ddpoUpdateBatch,
  ddpoUpdateLoss,
  ddpoUpdateTaskSpec,
  type DDPOUpdateBatch,
  type DDPOUpdateTaskConfig,
} from './ddpo-update-task.js';
import { DDPO_METRIC_NAMES } from './ddpo-metrics.js';
import { collectDDPORollout, type DDPORollout } from './ddpo-rollout.js';
import { openDDPOSamplingPool, type DDPOSamplingPool } from './ddpo-sampling-pool.js';
import { PerPromptStatTracker, normalizeRewards, type PerPromptStatTrackerState } from './per-prompt-stat-tracker.js';

/** What a {@link DDPOTrainer} trains, on what reward. */
export interface DDPOTrainerOptions {
  /** The diffusion policy; every weight is trained in place. */
  readonly model: Denoiser;
  /** The noise schedule the DDIM sampler and its log-probabilities use: the model's own (the one it was trained under). */
  readonly schedule: NoiseSchedule;
  /** A plain reward `(image, condition) => number`, e.g. diffusion's `jpegCompressibilityReward`. */
  readonly reward: ImageReward;
  /** The conditions trajectories are sampled for, uniformly: `{ prompt: classLabel }` records. Required (or the deprecated `conditions`). */
  readonly trainDataset?: readonly ConditionExample[];
  /** Conditions for {@link DDPOTrainer.evaluate}, one image each. @defaultValue none */
  readonly evalDataset?: readonly ConditionExample[];
  /** @deprecated use `trainDataset: conditions.map((prompt) => ({ prompt }))`. */
  readonly conditions?: readonly number[];
  /** Frozen reference for the optional KL term (`klCoef > 0`); not disposed by the trainer. */
  readonly referenceModel?: Denoiser;
  /** The DDPO settings (ddpo-pytorch's names, camel-cased), resolved and validated once at creation. */
  readonly config: DDPOConfig;
}

/** Options of {@link DDPOTrainer.train}: PPO's (core's `TrainOptions`, with `evaluate` and `evalEvery`). */
export interface DDPOTrainOptions extends Omit<PPOTrainOptions, 'evaluate'> {
  /** Evaluation metrics every `evalEvery` steps, e.g. rewards of deterministic samples (diffusion's `compareRewards`). */
  readonly evaluate?: (trainer: DDPOTrainer) => Promise<Metrics>;
  /** Progress lines, their options, or `false`. @defaultValue a line every step with `reward_mean`, `reward_std`, `loss`, approx KL and clip fraction */
  readonly progress?: PPOTrainOptions['progress'];
}

/**
 * DDPO (Black et al. 2023, DDPO_IS): policy-gradient RL on the denoising chain. One step:
 *
 * 1. Sampling: `samplesPerStep` conditions drawn uniformly from `conditions`; DDIM with eta > 0
 *    keeps every latent x_t and log p_old(x_{t-1} | x_t, c) ({@link collectDDPORollout}).
 * 2. Rewards per image; advantages normalised per condition ({@link PerPromptStatTracker}) or
 *    over the batch.
 * 3. `numInnerEpochs` passes: trajectories shuffled, each trajectory's steps shuffled
 *    independently; per minibatch of `trainBatchSize` trajectories and each of the first
 *    `numTrainTimesteps` shuffled steps, log p_theta is recomputed with diffusion's
 *    `ddimStepLogProb` under the current weights and {@link ddpoLoss} (clipped surrogate,
 *    advantages clipped to ±advClipMax) is added to the gradient; one AdamW step per minibatch
 *    over all its timesteps (ddpo-pytorch accumulates over timesteps the same way).
 *    Optional: klCoef * KL(pi_theta || pi_ref) per step (rlhf's `klPenalty` at the sampled
 *    transitions), absent from DDPO itself.
 *
 * Randomness depends on (seed, step) only; the stat tracker's buffers are saved in
 * checkpoints, so a resumed run is bit-identical. Tensors: nothing but weights and optimiser
 * state survives a step.
 *
 * @see Black et al. 2023, "Training Diffusion Models with Reinforcement Learning", Sections 4.2-4.3;
 *   kvablack/ddpo-pytorch `scripts/train.py`; TRL `DDPOTrainer`.
 *
 * @example
 * ```ts
 * import { selectBackend } from '@dpo-ts/core/backend';
 * import { DiffusionSFTTrainer, jpegCompressibilityReward } from '@dpo-ts/diffusion';
 * import { DDPOTrainer } from '@dpo-ts/rlhf';
 *
 * await selectBackend();
 * const { model, schedule } = await DiffusionSFTTrainer.load('runs/mnist-sft/model'); // a class-conditional denoiser
 * const digits = Array.from({ length: 10 }, (_, digit) => ({ prompt: digit })); // conditions: { prompt: classLabel }
 * const trainer = await DDPOTrainer.create({
 *   model, // the diffusion policy, trained in place
 *   schedule,
 *   trainDataset: digits,
 *   evalDataset: digits,
 *   reward: jpegCompressibilityReward, // (image, condition) => number: here, smaller JPEGs score higher
 *   config: { totalSteps: 50, samplesPerStep: 32, trainBatchSize: 8, numSteps: 20, learningRate: 3e-4 },
 * });
 * await trainer.train({ checkpoint: { dir: 'runs/ddpo', resume: 'auto' } });
 * const metrics = await trainer.evaluate(); // eval_reward_mean, eval_reward_std
 * await trainer.save('runs/ddpo/model'); // denoiser, schedule, trainer.json: DDPOTrainer.load('runs/ddpo/model') reads them back
 * trainer.dispose();
 * model.dispose();
 * ```
 */
export class DDPOTrainer {
  /** The resolved config, every default filled in; frozen. */
  readonly config: ResolvedDDPOConfig;
  /** The diffusion policy being trained, updated in place; the caller's (not disposed by the trainer). */
  readonly model: Denoiser;
  /** {@inheritDoc DDPOTrainerOptions.schedule} */
  readonly schedule: NoiseSchedule;
  /** The frozen reference of the optional KL term (`klCoef > 0`), or undefined; the caller's. */
  readonly referenceModel: Denoiser | undefined;
  /** The training conditions (`trainDataset`'s labels). */
  readonly conditions: readonly number[];
  /** AdamW over every trainable weight of the policy; its state is freed by {@link DDPOTrainer.dispose}. */
  readonly optimizer: AdamWOptimizer;
  private readonly evalConditions: readonly number[] | undefined;
  private readonly deprecations: readonly string[];
  /** Per-condition reward statistics (undefined when tracking is off); replaced on restore. */
  statTracker: PerPromptStatTracker | undefined;
  private readonly reward: ImageReward;
  private readonly trainable: NamedVariables;
  private readonly lrSchedule: LRSchedule;
  /** The sampling pool `train()` opened; undefined outside `train()` or on the main thread. */
  private samplingPool: DDPOSamplingPool;
  /** The gradient workers `train()` opened (`config.workers` > 1); undefined otherwise. */
  private updateEngine: GradientEngine<DDPOUpdateBatch> | undefined;
  /** DDPO steps completed (the `step` {@link DDPOTrainer.save} records); set by training and restore. */
  private completedSteps = 0;

  /**
   * Validates the options and the config (once) and builds the trainer: the same
   * `await DDPOTrainer.create({ model, ..., trainDataset, config })` as every dpo-ts trainer.
   * @throws InvalidArgumentError naming the option or config field, what it accepts and what it got.
   */
  static async create(options: DDPOTrainerOptions): Promise<DDPOTrainer> {
    return new DDPOTrainer(options);
  }

  private constructor(options: DDPOTrainerOptions) {
    if (options === null || typeof options !== 'object')
      throw new InvalidArgumentError('options', 'an object', options);
    this.config = resolveDDPOConfig(options.config);
    this.model = options.model;
    this.schedule = options.schedule;
    if (options.referenceModel !== undefined && options.referenceModel === options.model) {
      // Its log-probs would equal the policy's at every step: the KL term would always be 0.
      throw new InvalidArgumentError(
        'options.referenceModel',
        'a separate denoiser (cloneDenoiser(model)), not the policy itself',
        'the policy',
        'omit it and set config.klCoef: 0 for no KL term',
      );
    }
    this.referenceModel = options.referenceModel;
    requireReferenceForKl(this.config, this.referenceModel !== undefined);
    if (typeof options.reward !== 'function')
      throw new InvalidArgumentError('options.reward', 'a function (image, condition) => number', options.reward);
    this.reward = options.reward;
    const datasets = resolveDDPOConditions(options, this.model.numClasses);
    this.conditions = datasets.train;
    this.evalConditions = datasets.eval;
    this.deprecations = datasets.deprecations;
    const c = this.config;
    this.statTracker =
      c.perPromptStatTracking === false
        ? undefined
        : new PerPromptStatTracker(c.perPromptStatTracking.bufferSize, c.perPromptStatTracking.minCount);
    const { workers, numTrainTimesteps } = this.config;
    if (workers !== 'auto' && resolveWorkerCount(workers, numTrainTimesteps) > 1 && !this.referenceFrozen())
      throw new InvalidArgumentError(
        'config.workers',
        'at most 1 with klCoef > 0 and a reference with trainable variables (freeze them: variable.trainable = false)',
        workers,
      );
    this.trainable = new Map([...this.model.namedVariables()].filter(([, v]) => v.trainable));
    this.optimizer = adamWFromConfig(this.trainable, c);
    // Stepped once per optimiser update: numInnerEpochs * (samplesPerStep / trainBatchSize) per DDPO step.
    const updatesPerStep = c.numInnerEpochs * (c.samplesPerStep / c.trainBatchSize);
    this.lrSchedule = lrScheduleFromConfig({ ...c, totalSteps: c.totalSteps * updatesPerStep });
  }

  /** Samples this step's trajectories and their rewards (phase 1 of {@link DDPOTrainer.trainStep}). */
  async rollout(stepIndex: number): Promise<DDPORollout> {
    const rng = new Rng(mixSeeds(this.config.seed, stepIndex, 0));
    const conditions = Array.from(
      { length: this.config.samplesPerStep },
      () => this.conditions[rng.int(this.conditions.length)]!,
    );
    const { numSteps, eta, guidanceScale, sampleBatchSize } = this.config;
    return collectDDPORollout(this.model, this.schedule, {
      conditions,
      reward: this.reward,
      seed: mixSeeds(this.config.seed, stepIndex, 1),
      numSteps,
      eta,
      guidanceScale,
      sampleBatchSize,
      ...(this.samplingPool === undefined ? {} : { pool: this.samplingPool }),
    });
  }

  /** One DDPO step (sampling, advantages, inner PPO epochs), 0-based `stepIndex`. */
  async trainStep(stepIndex: number): Promise<Metrics> {
    const rolloutStart = performance.now();
    const rollout = await this.rollout(stepIndex);
    const rolloutSeconds = (performance.now() - rolloutStart) / 1000;
    const rewardStats = meanStd(rollout.rewards);
    const advantages =
      this.statTracker !== undefined
        ? this.statTracker.update(rollout.conditions, rollout.rewards)
        : normalizeRewards(rollout.rewards);
    const optimizationStart = performance.now();
    const rng = new Rng(mixSeeds(this.config.seed, stepIndex, 2));
    const accumulator = new MetricAccumulator();
    for (let epoch = 0; epoch < this.config.numInnerEpochs; epoch++) {
      const order = rng.permutation(rollout.count);
      const stepOrders = order.map(() => rng.permutation(rollout.numSteps));
      for (let start = 0; start < rollout.count; start += this.config.trainBatchSize) {
        const rows = order.slice(start, start + this.config.trainBatchSize);
        accumulator.add(
          await this.update(rollout, advantages, rows, stepOrders.slice(start, start + rows.length), stepIndex),
        );
      }
    }
    this.completedSteps = stepIndex + 1;
    return {
      [DDPO_METRIC_NAMES.rewardMean]: rewardStats.mean,
      [DDPO_METRIC_NAMES.rewardStd]: rewardStats.std,
      [DDPO_METRIC_NAMES.scores]: rewardStats.mean,
      ...accumulator.mean(),
      [DDPO_METRIC_NAMES.rolloutSeconds]: rolloutSeconds,
      [DDPO_METRIC_NAMES.optimizationSeconds]: (performance.now() - optimizationStart) / 1000,
    };
  }

  /** One optimiser update on trajectories `rows`, accumulating over their first numTrainTimesteps shuffled steps. */
  private async update(
    rollout: DDPORollout,
    advantages: Float32Array,
    rows: readonly number[],
    stepOrders: readonly number[][],
    stepIndex: number,
  ): Promise<Metrics> {
    const learningRate = this.lrSchedule(this.optimizer.step);
    const microBatches = Array.from({ length: this.config.numTrainTimesteps }, (_, j) =>
      ddpoUpdateBatch(
        rollout,
        advantages,
        rows,
        rows.map((_, r) => stepOrders[r]![j]!),
      ),
    );
    const settings = this.updateTaskConfig().settings;
    const { metrics } = await microBatchStep({
      optimizer: this.optimizer,
      variables: this.trainable,
      microBatches,
      ...(this.updateEngine === undefined ? {} : { engine: this.updateEngine }),
      // One timestep of the minibatch's trajectories; summed over timesteps, divided by their number.
      lossAndMetrics: (batch) => ddpoUpdateLoss(this.model, this.referenceModel, this.schedule, batch, settings),
      reduction: 'sum',
      learningRate,
      maxGradNorm: this.config.maxGradNorm,
      stepIndex,
    });
    return metrics;
  }

  /** The JSON that rebuilds the update's loss in a worker: the denoiser's and the schedule's configs, the loss settings. */
  private updateTaskConfig(): DDPOUpdateTaskConfig {
    const c = this.config;
    return {
      kind: this.model.kind,
      denoiser: this.model.config,
      schedule: this.schedule.config,
      settings: {
        eta: c.eta,
        guidanceScale: c.guidanceScale,
        clipRange: c.clipRange,
        advClipMax: c.advClipMax,
        klCoef: c.klCoef,
        klEstimator: c.klEstimator,
        numTrainTimesteps: c.numTrainTimesteps,
      },
    };
  }

  /**
   * Whether worker replicas can hold the KL term's reference: only a frozen one (every variable
   * `trainable: false`), which the pool then copies like any non-trained weight.
   */
  private referenceFrozen(): boolean {
    if (this.config.klCoef === 0 || this.referenceModel === undefined) return true;
    return [...this.referenceModel.namedVariables().values()].every((variable) => !variable.trainable);
  }

  /** Weights, optimiser state and the stat tracker's buffers. */
  async checkpointContent(): Promise<CheckpointContent> {
    return {
      weights: this.trainable,
      optimizer: await this.optimizer.state(),
      metadata: {
        trainer: 'ddpo',
        statTracker:
          this.statTracker === undefined ? null : (this.statTracker.state() as unknown as Record<string, never>),
      },
    };
  }

  /** Restores what {@link DDPOTrainer.checkpointContent} saved. */
  restore(checkpoint: LoadedCheckpoint): void {
    restoreWeights(this.trainable, checkpoint.weights, { source: checkpoint.path });
    this.completedSteps = checkpoint.step;
    if (checkpoint.optimizer !== undefined) this.optimizer.loadState(checkpoint.optimizer);
    const state = (checkpoint.metadata as { statTracker?: PerPromptStatTrackerState | null } | null)?.statTracker;
    if (state) this.statTracker = PerPromptStatTracker.fromState(state);
  }

  /**
   * One image per `evalDataset` condition from a generator seeded with `config.seed`, scored:
   * `eval_reward_mean`, `eval_reward_std` (see {@link evaluateDDPO}).
   * @throws InvalidArgumentError when the trainer was created without `evalDataset`.
   */
  async evaluate(): Promise<Metrics> {
    if (this.evalConditions === undefined)
      throw new InvalidArgumentError('evalDataset', 'a dataset given to create() before evaluate()', undefined);
    return evaluateDDPO(this.model, this.schedule, this.reward, this.evalConditions, this.config, this.samplingPool);
  }

  /**
   * Runs `totalSteps` DDPO steps through core's `runTrainingLoop` (progress, evaluation,
   * checkpoints, resume, NaN guard, leak check). With `config.samplingWorkers` resolving to more
   * than 1, one sampling pool serves every rollout and evaluation of the run (the same
   * trajectories as the main thread); it is closed when `train()` returns or throws.
   */
  async train(options: DDPOTrainOptions = {}): Promise<TrainingLoopResult> {
    const { evaluate, evalEvery, ...rest } = options;
    for (const message of this.deprecations) options.onWarning?.(message);
    const evaluation =
      evaluate !== undefined
        ? () => evaluate(this)
        : this.evalConditions !== undefined
          ? () => this.evaluate()
          : undefined;
    const { samplingWorkers, samplesPerStep, sampleBatchSize } = this.config;
    const tasks = Math.ceil(samplesPerStep / sampleBatchSize);
    this.samplingPool = await openDDPOSamplingPool(this.model, this.schedule, samplingWorkers, tasks);
    const config = this.updateTaskConfig();
    const run = () =>
      runTrainerLoop(
        {
          totalSteps: this.config.totalSteps,
          step: (stepIndex) => this.trainStep(stepIndex),
          evaluate: evaluation,
          evalEvery,
          save: () => this.checkpointContent(),
          restore: (checkpoint) => this.restore(checkpoint),
          trainer: 'ddpo',
          modelConfig: denoiserArchitecture(this.model),
          progress: {
            metrics: [
              DDPO_METRIC_NAMES.rewardMean,
              DDPO_METRIC_NAMES.rewardStd,
              DDPO_METRIC_NAMES.loss,
              DDPO_METRIC_NAMES.approxKl,
              DDPO_METRIC_NAMES.clipFraction,
            ],
            everySteps: 1,
          },
        },
        rest,
      );
    return withGradientEngine(
      {
        task: createDDPOUpdateTask(config, this.model, this.referenceModel, this.schedule),
        spec: ddpoUpdateTaskSpec(config),
        // 'auto' stays on the main thread: a timestep's micro-batch is too little work per weight
        // (measured: 2 workers take 1.5x one's time per update, docs/speed.md round 4); an explicit
        // count runs workers when the reference can be copied to replicas (see the constructor).
        workers: this.referenceFrozen() && this.config.workers !== 'auto' ? this.config.workers : 1,
        microBatchesPerStep: this.config.numTrainTimesteps,
      },
      async (engine) => {
        this.updateEngine = engine;
        try {
          return await run();
        } finally {
          this.updateEngine = undefined;
        }
      },
    ).finally(() => this.closeSamplingPool());
  }

  private async closeSamplingPool(): Promise<void> {
    const pool = this.samplingPool;
    this.samplingPool = undefined;
    await pool?.close();
  }

  /**
   * Saves the denoiser as trained so far (diffusion's `saveDiffusionModel`: weights,
   * `config.json`, `schedule.json` and `trainer.json` with kind `'ddpo'`, this config and the
   * steps completed) to `dir`, atomically: a failed save leaves a previous model in `dir` intact.
   * `dpo-ts sample` and every diffusion trainer's `load` read it; {@link DDPOTrainer.load} too.
   */
  async save(dir: string): Promise<void> {
    await saveDiffusionModel(dir, {
      kind: 'ddpo',
      model: this.model,
      schedule: this.schedule,
      trainerConfig: this.config,
      step: this.completedSteps,
    });
  }

  /**
   * Reads a model saved by a diffusion trainer's `save(dir)` (Diffusion-SFT, Diffusion-DPO, DDPO:
   * diffusion's `loadDiffusionModel`) as `{ model, schedule, manifest }`, to sample from or to
   * start DDPO. The caller disposes the model.
   */
  static load(dir: string): Promise<SavedDiffusionModel> {
    return loadDiffusionModel(dir);
  }

  /** Frees the optimiser state (the models belong to the caller). */
  dispose(): void {
    this.optimizer.dispose();
  }
}

function meanStd(values: Float32Array): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return { mean, std: Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length) };
}
