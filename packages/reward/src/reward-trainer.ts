import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, METRIC_NAMES, MetricAccumulator, readMetrics } from '@dpo-ts/core';
import {
  adamWFromConfig,
  engineWorkers,
  lrScheduleFromConfig,
  microBatchStep,
  restoreWeights,
  runTrainerLoop,
  stepBatchOptions,
  trainingArgumentsLoop,
  withTrainSteps,
  evalPrefixed,
} from '@dpo-ts/core/training';
import { epochsCompleted, stepMicroBatches } from '@dpo-ts/core/data';
import { withGradientEngine } from '@dpo-ts/core/parallel';
import type { Metrics, NamedVariables } from '@dpo-ts/core';
import type {
  AdamWOptimizer,
  CheckpointContent,
  LRSchedule,
  LoadedCheckpoint,
  TrainingLoopResult,
  TrainOptions,
} from '@dpo-ts/core/training';
import type { PreferenceRecord } from '@dpo-ts/core/data';
import type { GradientEngine, LossAndMetrics } from '@dpo-ts/core/parallel';
import { lmModelArchitecture, type Tokenizer } from '@dpo-ts/lm';
import { rewardLossAndMetrics, rewardModelTaskSpec } from './reward-model-task.js';
import { buildRewardBatch, tokenizeRewardPairs, type RewardBatch, type TokenizedRewardPair } from './reward-pairs.js';
import {
  resolveRewardTrainerConfig,
  type ResolvedRewardTrainerConfig,
  type RewardTrainerConfig,
} from './reward-trainer-config.js';
import { loadTrainedRewardModel, saveTrainedRewardModel, type SavedRewardModel } from './saved-reward-model.js';
import type { SequenceRewardModel } from './sequence-reward-model.js';

/** What a {@link RewardTrainer} trains, on what. */
export interface RewardTrainerOptions {
  /** The model; all its variables are trained. */
  readonly model: SequenceRewardModel;
  /** Tokenises the pairs as `[BOS] prompt completion [EOS]` rows; it must match the backbone's vocabulary. */
  readonly tokenizer: Tokenizer;
  /** Training pairs, TRL's preference format (core's `loadPreferenceJsonl`); `extra.margin` is used when present. */
  readonly trainDataset: readonly PreferenceRecord<string, string>[];
  /** Held-out pairs for {@link RewardTrainer.evaluate} (and every `evalSteps` steps in `train`). */
  readonly evalDataset?: readonly PreferenceRecord<string, string>[];
  /** The training settings (TRL's `RewardConfig` names, camel-cased), resolved once by {@link RewardTrainer.create}. */
  readonly config: RewardTrainerConfig;
}

/** The micro-batch context of an evaluation batch (the reward loss reads none of it). */
const EVALUATION_CONTEXT = { stepIndex: 0, microBatchIndex: 0, microBatchCount: 1, step: null } as const;

/**
 * Trains a {@link SequenceRewardModel} on preference pairs with the Bradley-Terry loss, as TRL's
 * `RewardTrainer`: each step takes `gradientAccumulationSteps` micro-batches of
 * `perDeviceTrainBatchSize` pairs (reshuffled every epoch, seeded), scores each micro-batch's
 * chosen and rejected rows in one forward pass, minimises {@link bradleyTerryRewardLoss}
 * (with the pairs' margins and the optional centring term; {@link rewardLossAndMetrics}),
 * averages the micro-batch gradients, clips the global gradient norm and applies AdamW with a
 * scheduled learning rate.
 *
 * Workers: with `config.workers` resolving to N > 1 (capped by `gradientAccumulationSteps`;
 * `'auto'` stays on the main thread below core's `AUTO_WORKERS_MIN_PARAMETERS`), `train()`
 * computes each step's micro-batch gradients on N worker threads holding replicas of the reward
 * model ({@link createRewardModelTask}), summed in micro-batch order by core's engine: the
 * weights do not depend on N beyond float32 summation, and are bit-identical for a given N.
 *
 * Metrics (TRL's names): `loss`, `grad_norm` (before clipping), `learning_rate`, `epoch`,
 * `accuracy`, `margin`, `mean_reward`, `min_reward`, `max_reward`.
 *
 * Checkpoints hold the model's weights and the optimiser; the data position is the step itself
 * (core's `epochBatches` is a function of seed and step), so a resumed run sees exactly the
 * batches an uninterrupted one would.
 *
 * @see Bradley & Terry 1952; Ouyang et al. 2022, Sec. 3.5; TRL `RewardTrainer`.
 * @example
 * ```ts
 * import { loadPreferenceJsonl } from '@dpo-ts/core/data';
 * import { selectBackend } from '@dpo-ts/core/backend';
 * import { loadBaseModel } from '@dpo-ts/lm';
 * import { RewardTrainer, SequenceRewardModel } from '@dpo-ts/reward';
 *
 * await selectBackend();
 * const { model: backbone, tokenizer } = await loadBaseModel(); // or an SFT model: SFTTrainer.load(dir)
 * const model = new SequenceRewardModel(backbone); // the GPT plus a scalar head read at the EOS; owns the backbone
 * const trainer = await RewardTrainer.create({
 *   model,
 *   tokenizer,
 *   trainDataset: await loadPreferenceJsonl('pairs.jsonl'), // { prompt, chosen, rejected, margin? }
 *   evalDataset: await loadPreferenceJsonl('held-out.jsonl'),
 *   config: { numTrainEpochs: 1, learningRate: 1e-4, evalSteps: 100 },
 * });
 * await trainer.train({ checkpoint: { dir: 'runs/rm', resume: 'auto' } });
 * const metrics = await trainer.evaluate(); // eval_loss, eval_accuracy, eval_margin, eval_mean_reward, ...
 * await trainer.save('runs/rm/model'); // RewardTrainer.load('runs/rm/model'), then rlhf's rewardModelScorer
 * trainer.dispose();
 * model.dispose();
 * ```
 */
export class RewardTrainer {
  /** The resolved config the trainer runs with (`totalSteps` settled from the data); frozen. */
  readonly config: ResolvedRewardTrainerConfig & {
    /** The row limit in force: the config's, or the backbone's `contextLength`. */
    readonly maxLength: number;
  };
  /** The reward model being trained (every variable), updated in place; the caller's, not disposed by the trainer. */
  readonly model: SequenceRewardModel;
  /** {@inheritDoc RewardTrainerOptions.tokenizer} */
  readonly tokenizer: Tokenizer;
  /** AdamW over every variable of the model; its moment tensors are freed by {@link RewardTrainer.dispose}. */
  readonly optimizer: AdamWOptimizer;
  /** Tokenised training pairs that fit `maxLength`. */
  readonly trainPairs: readonly TokenizedRewardPair[];
  /** Tokenised held-out pairs that fit `maxLength`. */
  readonly evalPairs: readonly TokenizedRewardPair[];
  /** Input positions of the training and eval records dropped for length. */
  readonly dropped: {
    /** Indices into `trainDataset` of the pairs dropped for length. */
    readonly train: readonly number[];
    /** Indices into `evalDataset` of the pairs dropped for length. */
    readonly eval: readonly number[];
  };
  private readonly schedule: LRSchedule;
  private readonly variables: NamedVariables;
  /** The per-micro-batch loss: the same function the worker replicas run. */
  private readonly lossAndMetrics: LossAndMetrics<RewardBatch>;
  /** The worker pool while `train()` runs with workers; otherwise steps run on the main thread. */
  private engine: GradientEngine<RewardBatch> | undefined;

  /**
   * Validates the options and the config (once) and builds the trainer: the same
   * `await RewardTrainer.create({ model, ..., trainDataset, config })` as every dpo-ts trainer.
   * @throws InvalidArgumentError naming the option or config field, what it accepts and what it got.
   */
  static async create(options: RewardTrainerOptions): Promise<RewardTrainer> {
    return new RewardTrainer(options);
  }

  private constructor(options: RewardTrainerOptions) {
    const resolved = resolveRewardTrainerConfig(options.config);
    const maxLength = resolved.maxLength ?? options.model.contextLength;
    if (maxLength > options.model.contextLength) {
      throw new InvalidArgumentError(
        'config.maxLength',
        `at most the backbone's contextLength ${options.model.contextLength}`,
        maxLength,
      );
    }
    this.config = Object.freeze({ ...resolved, maxLength });
    this.model = options.model;
    this.tokenizer = options.tokenizer;
    const train = tokenizeRewardPairs(options.tokenizer, options.trainDataset, maxLength);
    const held = tokenizeRewardPairs(options.tokenizer, options.evalDataset ?? [], maxLength);
    if (train.pairs.length === 0) {
      throw new InvalidArgumentError(
        'trainDataset',
        `at least one pair whose rows fit maxLength ${maxLength}`,
        `${options.trainDataset.length} records, all too long or none`,
      );
    }
    this.config = withTrainSteps(this.config, train.pairs.length);
    this.trainPairs = train.pairs;
    this.evalPairs = held.pairs;
    this.dropped = { train: train.droppedIndices, eval: held.droppedIndices };
    this.variables = this.model.namedVariables();
    this.optimizer = adamWFromConfig(this.variables, this.config);
    this.schedule = lrScheduleFromConfig(this.config);
    this.lossAndMetrics = rewardLossAndMetrics(this.model, this.config.centerRewardsCoefficient);
  }

  /**
   * The micro-batches of a 0-based step (`gradientAccumulationSteps` of them): a function of
   * the seed and the step only (core's `stepMicroBatches`).
   */
  batchesForStep(stepIndex: number): RewardBatch[] {
    return stepMicroBatches(this.trainPairs.length, stepBatchOptions(this.config), stepIndex).map(({ indices }) =>
      buildRewardBatch(
        indices.map((i) => this.trainPairs[i]!),
        this.tokenizer,
        this.config.maxLength,
      ),
    );
  }

  /** The first micro-batch of a 0-based step (the whole batch without gradient accumulation). */
  batchForStep(stepIndex: number): RewardBatch {
    return this.batchesForStep(stepIndex)[0]!;
  }

  /**
   * One optimiser step on the micro-batches of `stepIndex`. A non-finite loss or gradient norm
   * throws core's `NonFiniteError` before the weights change. Leaves no tensor behind.
   * Metrics are means over the micro-batches (`min_reward` / `max_reward` too, as TRL's).
   */
  async trainStep(stepIndex: number): Promise<Metrics> {
    const { metrics } = await microBatchStep({
      optimizer: this.optimizer,
      variables: this.variables,
      microBatches: this.batchesForStep(stepIndex),
      lossAndMetrics: this.lossAndMetrics,
      ...(this.engine !== undefined ? { engine: this.engine } : {}),
      reduction: 'mean',
      learningRate: this.schedule(stepIndex),
      maxGradNorm: this.config.maxGradNorm,
      stepIndex,
    });
    const {
      [METRIC_NAMES.loss]: loss,
      [METRIC_NAMES.gradNorm]: gradNorm,
      [METRIC_NAMES.learningRate]: learningRate,
      ...rest
    } = metrics;
    return {
      [METRIC_NAMES.loss]: loss!,
      [METRIC_NAMES.gradNorm]: gradNorm!,
      [METRIC_NAMES.learningRate]: learningRate!,
      [METRIC_NAMES.epoch]: epochsCompleted(this.trainPairs.length, stepBatchOptions(this.config), stepIndex + 1),
      ...rest,
    };
  }

  /**
   * Loss and metrics over held-out pairs (default: the trainer's eval pairs), in batches of
   * `perDeviceEvalBatchSize`, without gradients. `loss`, `accuracy`, `margin` and `mean_reward` are means
   * over pairs; `min_reward` and `max_reward` are the extremes over the whole set (TRL averages
   * per-batch extremes; over a whole set the true extremes say more). Keys carry TRL's `eval_`
   * prefix (`eval_loss`, `eval_accuracy`, ...; core's `evalPrefixed`).
   */
  async evaluate(pairs: readonly TokenizedRewardPair[] = this.evalPairs): Promise<Metrics> {
    if (pairs.length === 0)
      throw new InvalidArgumentError('pairs', 'at least one held-out pair (pass an evalDataset to the trainer)', pairs);
    const accumulator = new MetricAccumulator();
    let min = Infinity;
    let max = -Infinity;
    for (let start = 0; start < pairs.length; start += this.config.perDeviceEvalBatchSize) {
      const chunk = pairs.slice(start, start + this.config.perDeviceEvalBatchSize);
      const batch = buildRewardBatch(chunk, this.tokenizer, this.config.maxLength);
      const tensors = tf.tidy(() => {
        const { loss, metrics } = this.lossAndMetrics(batch, EVALUATION_CONTEXT);
        return { ...metrics, [METRIC_NAMES.loss]: loss };
      });
      const values = await readMetrics(tensors);
      min = Math.min(min, values[METRIC_NAMES.minReward]!);
      max = Math.max(max, values[METRIC_NAMES.maxReward]!);
      accumulator.add(values, chunk.length);
    }
    return evalPrefixed({ ...accumulator.mean(), [METRIC_NAMES.minReward]: min, [METRIC_NAMES.maxReward]: max });
  }

  /** Model weights and optimiser state. */
  async checkpointContent(): Promise<CheckpointContent> {
    return { weights: this.variables, optimizer: await this.optimizer.state(), metadata: { trainer: 'reward' } };
  }

  /** Restores what {@link RewardTrainer.checkpointContent} saved. */
  restore(checkpoint: LoadedCheckpoint): void {
    restoreWeights(this.variables, checkpoint.weights, { source: checkpoint.path });
    if (checkpoint.optimizer !== undefined) this.optimizer.loadState(checkpoint.optimizer);
  }

  /**
   * Runs `config.totalSteps` steps through core's `runTrainerLoop`: progress lines every
   * `loggingSteps`, evaluation every `evalSteps` (with an eval dataset), checkpoints, resume,
   * NaN guard, leak check (core's `TrainOptions`, the same for every trainer). With workers
   * (see the class), the pool lives for this call.
   */
  async train(options: TrainOptions = {}): Promise<TrainingLoopResult> {
    return withGradientEngine(
      {
        task: { namedVariables: this.variables, lossAndMetrics: this.lossAndMetrics },
        spec: rewardModelTaskSpec({
          gpt: this.model.backbone.config,
          ...(this.config.centerRewardsCoefficient !== undefined
            ? { centerRewardsCoefficient: this.config.centerRewardsCoefficient }
            : {}),
        }),
        workers: engineWorkers(this.config.workers),
        microBatchesPerStep: this.config.gradientAccumulationSteps,
      },
      async (engine) => {
        this.engine = engine;
        try {
          return await this.runLoop(options);
        } finally {
          this.engine = undefined;
        }
      },
    );
  }

  private runLoop(options: TrainOptions): Promise<TrainingLoopResult> {
    return runTrainerLoop(
      {
        ...trainingArgumentsLoop(this.config, [
          METRIC_NAMES.loss,
          METRIC_NAMES.accuracy,
          METRIC_NAMES.margin,
          METRIC_NAMES.gradNorm,
        ]),
        step: (stepIndex) => this.trainStep(stepIndex),
        evaluate: this.evalPairs.length > 0 ? () => this.evaluate() : undefined,
        save: () => this.checkpointContent(),
        restore: (checkpoint) => this.restore(checkpoint),
        trainer: 'reward',
        modelConfig: lmModelArchitecture(this.model.backbone),
      },
      options,
    );
  }

  /**
   * Saves the reward model as trained so far (the `saveRewardModel` files, `tokenizer.json` and
   * `trainer.json` with this config and step) to `dir`, atomically: a failed save leaves a
   * previous model in `dir` intact. {@link RewardTrainer.load} reads it back.
   */
  async save(dir: string): Promise<void> {
    await saveTrainedRewardModel(dir, {
      model: this.model,
      tokenizer: this.tokenizer,
      trainerConfig: this.config,
      step: this.optimizer.step,
    });
  }

  /**
   * Reads a model saved by {@link RewardTrainer.save} ({@link loadTrainedRewardModel}): the
   * reward model and its tokenizer. The caller disposes the returned model.
   */
  static load(dir: string): Promise<SavedRewardModel> {
    return loadTrainedRewardModel(dir);
  }

  /** Frees the optimiser state (the model stays the caller's). */
  dispose(): void {
    this.optimizer.dispose();
  }
}
