import { InvalidArgumentError, METRIC_NAMES, MetricAccumulator } from '@dpo-ts/core';
import { engineWorkers, microBatchStep } from '@dpo-ts/core/training';
import type { Metrics } from '@dpo-ts/core';
import type { JsonValue } from '@dpo-ts/core/training';
import type { GradientEngine } from '@dpo-ts/core/parallel';
import { evaluateCompletions } from '../evaluate-completions.js';
import { PromptPolicyTrainerBase } from '../prompt-policy-trainer-base.js';
import type { RewardSource } from '../reward-source.js';
import type { ResolvedGroupConfig } from './group-config.js';
import { GROUP_METRIC_NAMES } from './group-metrics.js';
import type { GroupLossNormalization } from './group-policy-loss.js';
import { collectGroupRollout, type GroupRollout } from './group-rollout.js';
import type { GroupTrainerOptions } from './group-trainer-options.js';
import {
  createGroupUpdateTask,
  type GroupLossSettings,
  type GroupUpdateBatch,
  groupNormalizationOf,
  groupUpdateBatch,
  groupUpdateLoss,
  groupUpdateTaskSpec,
} from './group-update-task.js';

/**
 * What RLOO and GRPO share: a critic-free policy-gradient trainer that samples G completions per
 * prompt, turns their rewards into one advantage per completion, and takes `numIterations`
 * optimiser steps over the batch with a clipped-ratio loss. A subclass gives the advantages
 * ({@link GroupTrainerBase.advantagesOf}) and the objective ({@link GroupTrainerBase.lossSettings}).
 *
 * One {@link GroupTrainerBase.trainStep}: `promptsPerStep` prompts (reshuffled each epoch,
 * seeded) x G completions → rewards → π_old (and π_ref when β > 0) → advantages →
 * `numIterations` x core's `microBatchStep` over `gradientAccumulationSteps` micro-batches of
 * `perDeviceTrainBatchSize` completions (micro-batch losses summed, each normalised by the
 * step's counts). The learning rate is stepped once per generation batch. With `config.workers`
 * resolving to more than 1, `train()` computes the micro-batches on worker threads
 * ({@link createGroupUpdateTask} replicas of the policy).
 *
 * Checkpoints hold the policy's weights (`policy/<name>`), the AdamW state and the sampling
 * generator; the reference and the reward are not saved (pass the same ones when resuming).
 * Tensors: nothing survives a step but variables and optimiser state.
 */
export abstract class GroupTrainerBase<TConfig extends ResolvedGroupConfig> extends PromptPolicyTrainerBase<TConfig> {
  /** Scores each completion. */
  protected readonly reward: RewardSource;
  /** The metrics of the progress lines: mean reward, loss, KL. */
  protected readonly progressMetrics = [GROUP_METRIC_NAMES.reward, METRIC_NAMES.loss, GROUP_METRIC_NAMES.kl];

  /**
   * Checks and stores the options (see `PromptPolicyTrainerBase`); a reference is cloned from
   * `model` when β > 0 and none is given.
   * @throws InvalidArgumentError naming the option or config field.
   */
  protected constructor(options: GroupTrainerOptions<unknown>, resolved: TConfig) {
    super(options, resolved, {
      completionLength: resolved.maxCompletionLength,
      completionLengthName: 'maxCompletionLength',
      defaultReference: resolved.beta > 0,
      rolloutRows: resolved.generationBatchSize,
    });
    this.reward = options.reward;
  }

  /** Advantages of a rollout's completions, in its row order, and the metrics that come with them. */
  protected abstract advantagesOf(rollout: GroupRollout): {
    /** One advantage per completion, in the rollout's row order, `[N]`. */
    advantages: number[];
    /** The advantage step's metrics (`reward`, `reward_std`, `frac_reward_zero_std`, RLOO's `kl`). */
    metrics: Metrics;
  };

  /** The clipped objective and its settings, the same on the main thread and in every worker replica. */
  protected abstract lossSettings(): GroupLossSettings;

  /** The gradient workers `train()` opened (`config.workers` > 1); undefined otherwise. */
  private updateEngine: GradientEngine<GroupUpdateBatch> | undefined;

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
      this.rolloutSampling(),
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
    const microBatches: GroupUpdateBatch[] = [];
    for (let start = 0; start < N; start += perDeviceTrainBatchSize) {
      const rows = Array.from({ length: perDeviceTrainBatchSize }, (_, i) => start + i);
      microBatches.push(groupUpdateBatch(rollout, advantages, rows));
    }
    const stats = new MetricAccumulator();
    const gradNorms: number[] = [];
    for (let iteration = 0; iteration < this.config.numIterations; iteration++) {
      const result = await microBatchStep({
        optimizer: this.optimizer,
        variables: this.namedVariables(),
        microBatches,
        ...(this.updateEngine === undefined ? {} : { engine: this.updateEngine }),
        step: normalization as unknown as JsonValue, // the step's counts, for every micro-batch's loss
        lossAndMetrics: (batch, context) =>
          groupUpdateLoss(
            this.model,
            batch,
            groupNormalizationOf(context),
            this.config.temperature,
            this.lossSettings(),
          ),
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
    const ids = this.evalPromptIds(this.evalPrompts);
    return evaluateCompletions(
      this.model,
      this.tokenizer,
      this.evalPrompts,
      ids,
      this.reward,
      {
        maxNewTokens: this.config.maxCompletionLength,
        temperature: this.config.temperature,
        stopAtEos: this.config.stopAtEos,
        seed: this.config.seed,
      },
      this.evaluationSampling(),
    );
  }

  /** Runs `run` with a gradient worker pool when `config.workers` resolves to more than 1. */
  protected override withUpdateEngine<T>(run: () => Promise<T>): Promise<T> {
    const config = { gpt: this.model.config, temperature: this.config.temperature, loss: this.lossSettings() };
    return this.runWithGradientEngine(
      {
        task: createGroupUpdateTask(config, this.model),
        spec: groupUpdateTaskSpec(config),
        workers: engineWorkers(this.config.workers),
        microBatchesPerStep: this.config.gradientAccumulationSteps,
      },
      (engine) => {
        this.updateEngine = engine;
      },
      run,
    );
  }
}
