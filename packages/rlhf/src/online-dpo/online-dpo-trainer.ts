import {
  createPreferenceLossState,
  InvalidArgumentError,
  METRIC_NAMES,
  updatePreferenceLossStateFromRewards,
} from '@dpo-ts/core';
import { engineWorkers, microBatchStep, Rng } from '@dpo-ts/core/training';
import type { Metrics, PreferenceLossState } from '@dpo-ts/core';
import type { JsonValue } from '@dpo-ts/core/training';
import type { GradientEngine } from '@dpo-ts/core/parallel';
import { generate, type GPT, type Tokenizer } from '@dpo-ts/lm';
import { evaluateCompletions } from '../evaluate-completions.js';
import type { PromptExample } from '../group/group-trainer-options.js';
import { PromptPolicyTrainerBase } from '../prompt-policy-trainer-base.js';
import type { RewardSource } from '../reward-source.js';
import { type OnlineDPOConfig, type ResolvedOnlineDPOConfig, resolveOnlineDPOConfig } from './online-dpo-config.js';
import type { PairwiseJudge } from './online-dpo-pairs.js';
import { collectOnlinePairs, type OnlineDPOLabeler, type OnlinePairBatch } from './online-dpo-rollout.js';
import {
  createOnlineDPOUpdateTask,
  onlineDPOUpdateBatch,
  onlineDPOUpdateLoss,
  onlineDPOUpdateTaskSpec,
  type OnlineDPOUpdateBatch,
} from './online-dpo-update-task.js';

/** What an {@link OnlineDPOTrainer} trains, against what; give exactly one of `reward` and `judge`. */
export interface OnlineDPOTrainerOptions {
  /** The policy; all its weights are trained in place. */
  readonly model: GPT;
  /** The frozen reference. @defaultValue a clone of `model` at construction (owned by the trainer) */
  readonly referenceModel?: GPT;
  /** Encodes the prompts and decodes the completions; its vocabulary must match the model's. */
  readonly tokenizer: Tokenizer;
  /** Prompts to sample pairs for (`{ prompt }` records, e.g. core's `loadPromptJsonl`). */
  readonly trainDataset: readonly PromptExample[];
  /** Held-out prompts for {@link OnlineDPOTrainer.evaluate}. @defaultValue none */
  readonly evalDataset?: readonly PromptExample[];
  /** Labels pairs by score (TRL's `reward_funcs` / `reward_model`): a function or a batch scorer. */
  readonly reward?: RewardSource;
  /** Labels pairs by a pairwise verdict (TRL's `judge`). */
  readonly judge?: PairwiseJudge;
  /** The settings (TRL's `OnlineDPOConfig` names plus core's loss fields), resolved once at construction. */
  readonly config: OnlineDPOConfig;
}

/**
 * Online DPO for language models, TRL's `OnlineDPOTrainer` semantics: each step samples two
 * completions per prompt from the current policy, labels the pair with a reward (higher score
 * chosen; ties to the first completion) or a judge, and applies core's preference loss (any
 * `lossType`: `sigmoid`, `ipo`, `hinge`, ...) with the frozen reference's scores. The data are
 * always on-policy, which is what separates it from offline DPO.
 *
 * Logs TRL's metrics: `objective/kl`, `objective/entropy`, `objective/non_score_reward`,
 * `objective/rlhf_reward`, `objective/scores`, `objective/scores_margin` (reward only),
 * `rewards/chosen|rejected|accuracies|margins`, `logps/chosen|rejected`,
 * `val/contain_eos_token`, `beta`, and `objective/ties` (fraction of tied pairs; ours).
 *
 * Checkpoints hold the policy (`policy/<name>`), AdamW state, the sampling generator and the
 * loss state; the reference, reward and judge are not saved.
 *
 * @see Guo et al. 2024, "Direct Language Model Alignment from Online AI Feedback"; Rafailov et al.
 *   2023 (DPO); TRL `OnlineDPOTrainer`, `OnlineDPOConfig`.
 * @example
 * ```ts
 * import { loadPromptJsonl } from '@dpo-ts/core/data';
 * import { selectBackend } from '@dpo-ts/core/backend';
 * import { SFTTrainer, saveLanguageModel } from '@dpo-ts/lm';
 * import { OnlineDPOTrainer } from '@dpo-ts/rlhf';
 *
 * await selectBackend();
 * const { model, tokenizer } = await SFTTrainer.load('runs/sft/model');
 * const trainer = await OnlineDPOTrainer.create({
 *   model, // the policy; the reference is a frozen clone of it
 *   tokenizer,
 *   trainDataset: await loadPromptJsonl('prompts.jsonl'), // { prompt } per line: two fresh completions each step
 *   evalDataset: await loadPromptJsonl('held-out-prompts.jsonl'),
 *   reward: (_prompt, completion) => -Math.abs(completion.length - 40), // labels each pair; or `judge: (prompt, [a, b]) => 0 | 1`
 *   config: { totalSteps: 200, beta: 0.1, perDeviceTrainBatchSize: 8, maxNewTokens: 32, learningRate: 5e-6 },
 * });
 * await trainer.train({ checkpoint: { dir: 'runs/online-dpo', resume: 'auto' } });
 * const metrics = await trainer.evaluate(); // eval_reward, eval_reward_std, ...; with a judge: eval_win_rate against the reference
 * const { config, optimizer } = trainer; // no save(dir) yet: lm's saveLanguageModel writes what DPOTrainer.load reads
 * await saveLanguageModel('runs/online-dpo/model', { kind: 'online-dpo', model, tokenizer, trainerConfig: config, step: optimizer.step });
 * trainer.dispose();
 * model.dispose();
 * ```
 */
export class OnlineDPOTrainer extends PromptPolicyTrainerBase<ResolvedOnlineDPOConfig> {
  /** The frozen reference (a clone of `model` when none was given). */
  declare readonly referenceModel: GPT;
  protected readonly kind = 'online-dpo';
  /** The metrics of the progress lines: loss, mean score, reward margin. */
  protected readonly progressMetrics = [METRIC_NAMES.loss, METRIC_NAMES.objectiveScores, METRIC_NAMES.rewardsMargins];
  private readonly labeler: OnlineDPOLabeler;
  private lossState: PreferenceLossState = createPreferenceLossState();
  /** The gradient workers `train()` opened (`config.workers` > 1); undefined otherwise. */
  private updateEngine: GradientEngine<OnlineDPOUpdateBatch> | undefined;

  /**
   * Validates the options and the config (once) and builds the trainer.
   * @throws InvalidArgumentError naming the option or config field, what it accepts and what it got.
   */
  static async create(options: OnlineDPOTrainerOptions): Promise<OnlineDPOTrainer> {
    return new OnlineDPOTrainer(options, resolveOnlineDPOConfig(options.config));
  }

  private constructor(options: OnlineDPOTrainerOptions, resolved: ResolvedOnlineDPOConfig) {
    super(options, resolved, {
      completionLength: resolved.maxNewTokens,
      completionLengthName: 'maxNewTokens',
      defaultReference: true,
      rolloutRows: 2 * resolved.promptsPerStep,
    });
    if ((options.reward === undefined) === (options.judge === undefined))
      throw new InvalidArgumentError(
        'reward / judge',
        'exactly one of them',
        options.reward === undefined ? 'neither' : 'both',
      );
    if (options.judge !== undefined && typeof options.judge !== 'function')
      throw new InvalidArgumentError('judge', 'a function (prompt, [a, b]) => 0 | 1', options.judge);
    this.labeler = options.reward !== undefined ? { reward: options.reward } : { judge: options.judge! };
  }

  /** Samples and labels the pairs of 0-based step `stepIndex` (the first phase of {@link OnlineDPOTrainer.trainStep}). */
  async samplePairs(stepIndex: number): Promise<OnlinePairBatch> {
    const indices = this.promptIndicesForStep(stepIndex);
    return collectOnlinePairs(
      { policy: this.model, reference: this.referenceModel },
      this.tokenizer,
      indices.map((i) => this.trainPrompts[i]!),
      indices.map((i) => this.trainPromptIds[i]!),
      this.labeler,
      { ...this.config, beta: this.config.loss.beta },
      this.samplingRng,
      this.rolloutSampling(),
    );
  }

  /**
   * One step: fresh pairs, then one AdamW step on the preference loss, its gradients averaged
   * over `gradientAccumulationSteps` micro-batches of `perDeviceTrainBatchSize` pairs.
   */
  async trainStep(stepIndex: number): Promise<Metrics> {
    const batch = await this.samplePairs(stepIndex);
    const { perDeviceTrainBatchSize, promptsPerStep } = this.config;
    const microBatches: OnlineDPOUpdateBatch[] = [];
    for (let start = 0; start < promptsPerStep; start += perDeviceTrainBatchSize)
      microBatches.push(
        onlineDPOUpdateBatch(
          batch,
          Array.from({ length: perDeviceTrainBatchSize }, (_, i) => start + i),
        ),
      );
    const learningRate = this.schedule(stepIndex);
    const result = await microBatchStep({
      optimizer: this.optimizer,
      variables: this.namedVariables(),
      microBatches,
      ...(this.updateEngine === undefined ? {} : { engine: this.updateEngine }),
      // The loss state is fixed for the step (updated below), so every micro-batch reads the same on any thread.
      step: { lossState: { ...this.lossState } },
      lossAndMetrics: (micro) => onlineDPOUpdateLoss(this.model, micro, this.config.loss, this.lossState),
      reduction: 'mean',
      learningRate,
      maxGradNorm: this.config.maxGradNorm,
      stepIndex,
    });
    for (const micro of result.microBatches) {
      const chosen = micro.metrics[METRIC_NAMES.rewardsChosen]!;
      const rejected = micro.metrics[METRIC_NAMES.rewardsRejected]!;
      updatePreferenceLossStateFromRewards(this.lossState, [chosen], [rejected], stepIndex);
    }
    return { ...batch.metrics, ...result.metrics };
  }

  /**
   * With a reward: one completion per `evalDataset` prompt scored by it (`eval_reward`,
   * `eval_reward_std`, `eval_completions/*`). With a judge: the policy's and the reference's
   * completions of each prompt (same seed) judged against each other: `eval_win_rate`, the
   * fraction the judge gives to the policy (TRL's `WinRateCallback`). A fresh generator seeded with
   * `config.seed`; training generators are untouched.
   * @throws InvalidArgumentError when the trainer was created without `evalDataset`.
   */
  async evaluate(): Promise<Metrics> {
    if (this.evalPrompts === undefined)
      throw new InvalidArgumentError('evalDataset', 'a dataset given to create() before evaluate()', undefined);
    const prompts = this.evalPrompts;
    const ids = this.evalPromptIds(prompts);
    const sampling = {
      maxNewTokens: this.config.maxNewTokens,
      temperature: this.config.temperature,
      stopAtEos: this.config.stopAtEos,
    };
    if ('reward' in this.labeler)
      return evaluateCompletions(
        this.model,
        this.tokenizer,
        prompts,
        ids,
        this.labeler.reward,
        {
          ...sampling,
          seed: this.config.seed,
        },
        this.evaluationSampling(),
      );
    const policy = await generate(this.model, this.tokenizer, ids, { ...sampling, rng: new Rng(this.config.seed) });
    const reference = await generate(this.referenceModel, this.tokenizer, ids, {
      ...sampling,
      rng: new Rng(this.config.seed),
    });
    const { judge } = this.labeler;
    const verdicts = await Promise.all(
      prompts.map((prompt, i) => judge(prompt, [policy.texts[i]!, reference.texts[i]!])),
    );
    return { eval_win_rate: verdicts.filter((verdict) => verdict === 0).length / verdicts.length };
  }

  /** The loss state (running means some loss types keep), saved in checkpoints. */
  protected override checkpointMetadata(): Readonly<Record<string, JsonValue>> {
    return { lossState: { ...this.lossState } };
  }

  /** Restores the loss state {@link OnlineDPOTrainer.checkpointMetadata} saved. */
  protected override restoreMetadata(metadata: Readonly<Record<string, JsonValue>> | null): void {
    const lossState = metadata?.lossState as PreferenceLossState | undefined;
    if (lossState !== undefined) this.lossState = { ...lossState };
  }

  /** Runs `run` with a gradient worker pool when `config.workers` resolves to more than 1. */
  protected override withUpdateEngine<T>(run: () => Promise<T>): Promise<T> {
    const config = { gpt: this.model.config, loss: this.config.loss };
    return this.runWithGradientEngine(
      {
        task: createOnlineDPOUpdateTask(config, this.model),
        spec: onlineDPOUpdateTaskSpec(config),
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
