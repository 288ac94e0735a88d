import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, METRIC_NAMES, MetricAccumulator, type Metrics, type NamedVariables } from '@dpo-ts/core';
import {
  adamWFromConfig,
  lrScheduleFromConfig,
  microBatchStep,
  mixSeeds,
  restoreWeights,
  runTrainerLoop,
  stepBatchOptions,
  Throughput,
  engineWorkers,
  trainingArgumentsLoop,
  type AdamWOptimizer,
  type CheckpointContent,
  type LRSchedule,
  type LoadedCheckpoint,
  type TrainingLoopResult,
  type TrainOptions,
  withTrainSteps,
  evalPrefixed,
} from '@dpo-ts/core/training';
import { epochsCompleted, stepMicroBatches } from '@dpo-ts/core/data';
import { withGradientEngine, type GradientEngine, type LossAndMetrics } from '@dpo-ts/core/parallel';
import type { ImageDataset } from '../data/image-dataset.js';
import type { Denoiser } from '../denoiser.js';
import { denoiserArchitecture } from '../denoiser-architecture.js';
import { denoisingErrors } from '../denoising-errors.js';
import type { NoiseSchedule } from '../noise-schedule.js';
import { createDenoiserSFTTask, denoiserSFTTaskSpec, type DenoiserSFTTaskConfig } from './denoiser-sft-task.js';
import { loadDiffusionModel, saveDiffusionModel, type SavedDiffusionModel } from '../saved-diffusion-model.js';
import { buildDenoisingBatch, type DenoisingBatch } from './denoising-batch.js';
import {
  resolveDiffusionSFTConfig,
  type DiffusionSFTConfig,
  type ResolvedDiffusionSFTConfig,
} from './diffusion-sft-config.js';

/** What a {@link DiffusionSFTTrainer} trains on. */
export interface DiffusionSFTTrainerOptions {
  /** The denoiser; its weights are optimised in place. */
  readonly model: Denoiser;
  /** The forward-noising schedule (betas, alpha-bars over T timesteps) the denoiser learns to invert. */
  readonly schedule: NoiseSchedule;
  /** Training images and labels: MNIST for base training, or the preferred images of pairs (see {@link preferredImages}). */
  readonly trainDataset: ImageDataset;
  /** Held-out images for {@link DiffusionSFTTrainer.evaluate} (fixed draws, no label dropout). */
  readonly evalDataset?: ImageDataset;
  /** The training settings, resolved once by {@link DiffusionSFTTrainer.create} against the denoiser. */
  readonly config: DiffusionSFTConfig;
}

const EVAL_SEED_SALT = 0x65766131;

/**
 * Supervised denoising: Ho et al.'s simple objective
 *
 *   L_simple = E_{x_0, c, t, eps} || eps - eps_theta(sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, t, c) ||^2
 *
 * (mean over pixels), with t uniform in [0, T), and c replaced by the null class with
 * probability `cfgDropProb` (classifier-free guidance, Ho & Salimans 2022). Used to train the
 * base model on MNIST, and as the "SFT on winners" baseline of Diffusion-DPO (train on the
 * preferred image of each pair: Wallace et al. 2023 compare against it).
 *
 * One step: micro-batches (each example's t, eps, dropout drawn from its own seeded stream) ->
 * gradients averaged over the step's examples -> global-norm clipping -> AdamW with the
 * scheduled learning rate. Metrics: `loss` (L_simple of the step), `grad_norm` (before
 * clipping), `learning_rate`, `epoch`; `train()` adds `train_samples_per_second`.
 * A resumed run is bit-identical (draws depend on seed, epoch and index only).
 *
 * @see Ho et al. 2020, "Denoising Diffusion Probabilistic Models", Eq. 14 and Algorithm 1.
 * @example
 * ```ts
 * import { selectBackend } from '@dpo-ts/core/backend';
 * import { DiffusionSFTTrainer, MLPDenoiser, NoiseSchedule, loadMnist } from '@dpo-ts/diffusion';
 *
 * await selectBackend();
 * const { train, heldOut } = await loadMnist(); // 8,000 training digits and 2,000 held out, in [-1, 1]
 * const model = new MLPDenoiser(); // 28x28x1, 10 classes, cfgDropProb 0.1
 * const trainer = await DiffusionSFTTrainer.create({
 *   model,
 *   schedule: new NoiseSchedule(), // linear betas, T = 1000
 *   trainDataset: train,
 *   evalDataset: heldOut,
 *   config: { totalSteps: 3000, learningRate: 1e-3, evalSteps: 500 },
 * });
 * await trainer.train({ checkpoint: { dir: 'runs/mnist-sft', resume: 'auto' } });
 * const metrics = await trainer.evaluate(); // { eval_loss }: held-out L_simple
 * await trainer.save('runs/mnist-sft/model'); // DiffusionDPOTrainer.load('runs/mnist-sft/model') starts DPO from it
 * trainer.dispose();
 * model.dispose();
 * ```
 */
export class DiffusionSFTTrainer {
  /** The resolved config the trainer runs with (`totalSteps` settled from the data); frozen. */
  readonly config: ResolvedDiffusionSFTConfig;
  /**
   * The denoiser being trained, updated in place; the caller's, not disposed by {@link DiffusionSFTTrainer.dispose}.
   */
  readonly model: Denoiser;
  /** {@inheritDoc DiffusionSFTTrainerOptions.schedule} */
  readonly schedule: NoiseSchedule;
  /** {@inheritDoc DiffusionSFTTrainerOptions.trainDataset} */
  readonly trainDataset: ImageDataset;
  /** The held-out images {@link DiffusionSFTTrainer.evaluate} scores, or undefined without an `evalDataset`. */
  readonly evalDataset: ImageDataset | undefined;
  /**
   * AdamW over the denoiser's trainable variables; its moment tensors are freed by {@link DiffusionSFTTrainer.dispose}.
   */
  readonly optimizer: AdamWOptimizer;
  private readonly lrSchedule: LRSchedule;
  private readonly trainable: NamedVariables;
  /** The per-micro-batch loss (core's `ParallelTask`): the same function worker replicas run. */
  private readonly lossAndMetrics: LossAndMetrics<DenoisingBatch>;
  /** The worker pool while `train()` runs with workers; otherwise steps run on the main thread. */
  private engine: GradientEngine<DenoisingBatch> | undefined;

  /**
   * Validates the options and the config (once) and builds the trainer: the same
   * `await DiffusionSFTTrainer.create({ model, ..., trainDataset, config })` as every dpo-ts trainer.
   * @throws InvalidArgumentError naming the option or config field, what it accepts and what it got.
   */
  static async create(options: DiffusionSFTTrainerOptions): Promise<DiffusionSFTTrainer> {
    return new DiffusionSFTTrainer(options);
  }

  private constructor(options: DiffusionSFTTrainerOptions) {
    if (options === null || typeof options !== 'object')
      throw new InvalidArgumentError('options', 'an object', options);
    this.model = options.model;
    this.schedule = options.schedule;
    this.config = resolveDiffusionSFTConfig(options.config, this.model);
    this.trainDataset = checkDataset('options.trainDataset', options.trainDataset, this.model);
    this.evalDataset =
      options.evalDataset === undefined
        ? undefined
        : checkDataset('options.evalDataset', options.evalDataset, this.model);
    this.config = withTrainSteps(this.config, this.trainDataset.count);
    this.trainable = new Map([...this.model.namedVariables()].filter(([, v]) => v.trainable));
    this.optimizer = adamWFromConfig(this.trainable, this.config);
    this.lrSchedule = lrScheduleFromConfig(this.config);
    this.lossAndMetrics = createDenoiserSFTTask(this.taskConfig(), this.model, this.schedule).lossAndMetrics;
  }

  /** The micro-batches of step `stepIndex`, with fresh draws each epoch. */
  batchesForStep(stepIndex: number): DenoisingBatch[] {
    return stepMicroBatches(this.trainDataset.count, stepBatchOptions(this.config), stepIndex).map(
      ({ epoch, indices }) =>
        buildDenoisingBatch(this.trainDataset, indices, {
          seed: this.config.seed,
          round: epoch + 1,
          numTimesteps: this.schedule.numTimesteps,
          cfgDropProb: this.config.cfgDropProb,
          nullClass: this.model.nullClass,
        }),
    );
  }

  /** One optimiser step on `batches` (micro-batches; gradients averaged over all their examples). */
  async trainStep(batches: DenoisingBatch | readonly DenoisingBatch[], stepIndex: number): Promise<Metrics> {
    const list = (Array.isArray(batches) ? batches : [batches]) as readonly DenoisingBatch[];
    if (list.length === 0) throw new InvalidArgumentError('batches', 'at least one batch', list);
    const total = list.reduce((n, b) => n + b.numExamples, 0);
    const learningRate = this.lrSchedule(stepIndex);
    const { microBatches, gradNorm } = await microBatchStep({
      optimizer: this.optimizer,
      variables: this.trainable,
      microBatches: list,
      // Summed errors over the step's examples: the summed gradients are the step's mean.
      lossAndMetrics: this.lossAndMetrics,
      step: { totalExamples: total },
      ...(this.engine !== undefined ? { engine: this.engine } : {}),
      reduction: 'sum',
      learningRate,
      maxGradNorm: this.config.maxGradNorm,
      stepIndex,
    });
    return {
      [METRIC_NAMES.loss]: microBatches.reduce((sum, micro) => sum + micro.loss * total, 0) / total,
      [METRIC_NAMES.gradNorm]: gradNorm,
      [METRIC_NAMES.learningRate]: learningRate,
      [METRIC_NAMES.epoch]: epochsCompleted(this.trainDataset.count, stepBatchOptions(this.config), stepIndex + 1),
    };
  }

  /**
   * Mean L_simple over `dataset` (default: the eval dataset) with fixed draws and no label
   * dropout, as `eval_loss` (TRL's `eval_` prefix, core's `evalPrefixed`).
   */
  async evaluate(dataset: ImageDataset | undefined = this.evalDataset): Promise<Metrics> {
    if (dataset === undefined)
      throw new InvalidArgumentError('dataset', 'a dataset, or an evalDataset given to the trainer', undefined);
    const accumulator = new MetricAccumulator();
    const size = this.config.perDeviceEvalBatchSize;
    const draws = {
      seed: mixSeeds(this.config.seed, EVAL_SEED_SALT),
      round: 0,
      numTimesteps: this.schedule.numTimesteps,
      cfgDropProb: 0,
      nullClass: this.model.nullClass,
    };
    for (let start = 0; start < dataset.count; start += size) {
      const indices = Array.from({ length: Math.min(size, dataset.count - start) }, (_, i) => start + i);
      const batch = buildDenoisingBatch(dataset, indices, draws);
      const mean = tf.tidy(() => tf.mean(this.errors(batch)));
      const value = (await mean.data())[0]!;
      mean.dispose();
      accumulator.add({ [METRIC_NAMES.loss]: value }, batch.numExamples);
    }
    return evalPrefixed(accumulator.mean());
  }

  /** Weights and optimiser state. */
  async checkpointContent(): Promise<CheckpointContent> {
    return {
      weights: new Map(this.model.namedVariables()),
      optimizer: await this.optimizer.state(),
      metadata: { trainer: 'diffusion-sft' },
    };
  }

  /** Restores what {@link DiffusionSFTTrainer.checkpointContent} saved. */
  restore(checkpoint: LoadedCheckpoint): void {
    restoreWeights(this.model.namedVariables(), checkpoint.weights, { source: checkpoint.path });
    if (checkpoint.optimizer !== undefined) this.optimizer.loadState(checkpoint.optimizer);
  }

  /**
   * Trains `totalSteps` steps through core's `runTrainingLoop` (progress, eval, checkpoints,
   * resume). With `config.workers` resolving to N > 1 (capped by `gradientAccumulationSteps`),
   * each step's micro-batches run on N worker threads with denoiser replicas
   * (`createDenoiserSFTTask`); the draws live in the batches and gradients are summed in
   * micro-batch order, so the weights do not depend on N beyond float32 rounding.
   */
  async train(options: TrainOptions = {}): Promise<TrainingLoopResult> {
    return withGradientEngine(
      {
        task: { namedVariables: this.trainable, lossAndMetrics: this.lossAndMetrics },
        spec: denoiserSFTTaskSpec(this.taskConfig()),
        // 'auto' stays on the main thread: a denoiser micro-batch is too little work per weight
        // for the per-step copies (measured on Diffusion-DPO's MLP: +96% CPU time on 2 workers).
        workers: this.config.workers === 'auto' ? 1 : engineWorkers(this.config.workers),
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
    const throughput = new Throughput();
    return runTrainerLoop(
      {
        ...trainingArgumentsLoop(this.config, [
          METRIC_NAMES.loss,
          METRIC_NAMES.gradNorm,
          METRIC_NAMES.trainSamplesPerSecond,
        ]),
        step: async (stepIndex) => {
          const batches = this.batchesForStep(stepIndex);
          const metrics = await this.trainStep(batches, stepIndex);
          return {
            ...metrics,
            [METRIC_NAMES.trainSamplesPerSecond]: throughput.add(batches.reduce((n, b) => n + b.numExamples, 0))
              .samplesPerSecond,
          };
        },
        evaluate: this.evalDataset !== undefined ? () => this.evaluate() : undefined,
        save: () => this.checkpointContent(),
        restore: (checkpoint) => this.restore(checkpoint),
        trainer: 'diffusion-sft',
        modelConfig: denoiserArchitecture(this.model),
      },
      options,
    );
  }

  /**
   * Saves the model as trained so far (the `saveDenoiser` files, `schedule.json` and
   * `trainer.json` with this config and step) to `dir`, atomically: a failed save leaves a
   * previous model in `dir` intact. {@link DiffusionSFTTrainer.load} reads it back.
   */
  async save(dir: string): Promise<void> {
    await saveDiffusionModel(dir, {
      kind: 'diffusion-sft',
      model: this.model,
      schedule: this.schedule,
      trainerConfig: this.config,
      step: this.optimizer.step,
    });
  }

  /**
   * Reads a model saved by a diffusion trainer's `save(dir)` ({@link loadDiffusionModel}): the
   * denoiser and its schedule, to sample from or to start Diffusion-DPO. The caller disposes
   * the returned model.
   */
  static load(dir: string): Promise<SavedDiffusionModel> {
    return loadDiffusionModel(dir);
  }

  /** Frees the optimiser state (the model belongs to the caller). */
  dispose(): void {
    this.optimizer.dispose();
  }

  /** How a worker rebuilds this trainer's denoiser and schedule. */
  private taskConfig(): DenoiserSFTTaskConfig {
    return { kind: this.model.kind, denoiser: this.model.config, schedule: this.schedule.config };
  }

  /** Per-example denoising errors of a batch, `[n]` (inside the caller's tidy or tape). */
  private errors(batch: DenoisingBatch): tf.Tensor1D {
    const [h, w, c] = batch.imageShape;
    return tf.tidy(() => {
      const images = tf.tensor4d(batch.images, [batch.numExamples, h, w, c]);
      const noise = tf.tensor4d(batch.noise, [batch.numExamples, h, w, c]);
      return denoisingErrors(this.model, this.schedule, images, batch.timesteps, noise, batch.labels);
    });
  }
}

function checkDataset(argument: string, dataset: ImageDataset, model: Denoiser): ImageDataset {
  if (dataset === null || typeof dataset !== 'object' || !Number.isInteger(dataset.count) || dataset.count < 1) {
    throw new InvalidArgumentError(argument, 'an ImageDataset with at least one image', dataset);
  }
  if (dataset.imageShape.join() !== model.imageShape.join()) {
    throw new InvalidArgumentError(
      `${argument}.imageShape`,
      `[${model.imageShape.join(', ')}] (the denoiser's)`,
      `[${dataset.imageShape.join(', ')}]`,
    );
  }
  dataset.labels.forEach((label, i) => {
    if (label < 0 || label > model.numClasses)
      throw new InvalidArgumentError(`${argument}.labels[${i}]`, `an integer in [0, ${model.numClasses}]`, label);
  });
  return dataset;
}
