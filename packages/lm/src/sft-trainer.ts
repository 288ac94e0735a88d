import * as tf from '@tensorflow/tfjs-core';
import {
  InvalidArgumentError,
  METRIC_NAMES,
  type Checkpointable,
  type Metrics,
  type NamedVariables,
} from '@dpo-ts/core';
import {
  adamWFromConfig,
  engineWorkers,
  lrScheduleFromConfig,
  microBatchStep,
  restoreWeights,
  runTrainerLoop,
  stepBatchOptions,
  Throughput,
  trainingArgumentsLoop,
  withTrainSteps,
  type AdamWOptimizer,
  type CheckpointContent,
  type LoadedCheckpoint,
  type LRSchedule,
  type TrainingLoopResult,
  type TrainOptions,
  evalPrefixed,
} from '@dpo-ts/core/training';
import {
  createGradientEngine,
  phaseMetricsOf,
  resolveWorkerCount,
  trainableParameterCount,
  type GradientEngine,
  type LossAndMetrics,
} from '@dpo-ts/core/parallel';
import type { CausalLanguageModel } from './causal-lm.js';
import { gptSFTTaskSpec, nextTokenLossAndMetrics } from './gpt-sft-task.js';
import { GPT } from './gpt-model.js';
import { lmBatchTensors, type LMBatch } from './lm-batch.js';
import { lmModelArchitecture } from './model-architecture.js';
import { nextTokenStatistics } from './next-token-loss.js';
import { loadLanguageModel, saveLanguageModel, type SavedLanguageModel } from './saved-language-model.js';
import { resolveSFTConfig, type ResolvedSFTConfig, type SFTConfig } from './sft-config.js';
import { buildSFTBatch, scoredTokenCount, tokenizeSFTRecords, type SFTRow } from './sft-dataset.js';
import type { LMSFTInput } from './sft-inputs.js';
import { epochsCompleted, stepBatchIndices } from './step-schedule.js';
import type { Tokenizer } from './tokenizer.js';

/** What an {@link SFTTrainer} trains, on what. */
export interface SFTTrainerOptions {
  /** The model; its trainable named variables are optimised in place. */
  readonly model: CausalLanguageModel & Checkpointable;
  /** Tokenises the records (and supplies PAD, BOS, EOS, and the chat template of conversational rows). */
  readonly tokenizer: Pick<Tokenizer, 'encode' | 'padTokenId' | 'bosTokenId' | 'eosTokenId' | 'chatTemplate'>;
  /**
   * Training records in TRL's formats ({@link LMSFTInput}): `{ text }`, `{ prompt, completion }`,
   * or conversational `{ messages }` / message-list prompt-completion, rendered with `tokenizer.chatTemplate`.
   */
  readonly trainDataset: readonly LMSFTInput[];
  /** Held-out records for {@link SFTTrainer.evaluate}. */
  readonly evalDataset?: readonly LMSFTInput[];
  /**
   * The SFT settings (TRL's `SFTConfig` names, camel-cased), resolved once by {@link SFTTrainer.create} against the model's `contextLength`.
   */
  readonly config: SFTConfig;
}

/**
 * Supervised fine-tuning (and pre-training) of a causal language model: next-token
 * cross-entropy on completions (the prompt is masked) or on whole texts, TRL's `SFTTrainer`.
 *
 * One step (`trainStep`): for each micro-batch, the summed NLL of its scored tokens divided by
 * the scored tokens of the *whole step* (so accumulation equals one big batch, transformers'
 * `num_items_in_batch` fix) -> gradients summed -> global-norm clipping -> AdamW with the
 * scheduled learning rate. Metrics: `loss` (mean NLL per scored token, nats), `grad_norm`
 * (before clipping), `learning_rate`, `mean_token_accuracy`, `num_tokens` (cumulative
 * non-padding input tokens), `epoch`.
 *
 * Data: records are tokenised once at construction ({@link tokenizeSFTRecords}; packed into
 * `maxLength` windows with `packing`); step i's micro-batches are a function of i and the seed
 * ({@link stepBatchIndices}), and dropout (if the model has any) draws from a stream derived
 * from (seed, step, micro-batch), so `train({ resume })` continues bit-identically from a
 * checkpoint.
 *
 * Workers: with `config.workers` > 1 (and `gradientAccumulationSteps` > 1), `train()` computes
 * a step's micro-batches on worker threads, each with a replica of the `GPT` rebuilt from its
 * config (core's `createGradientEngine` with lm's `createGPTSFTTask`); the loss is the same
 * function as on the main thread and gradients are summed in micro-batch order, so the weights
 * do not depend on the worker count.
 *
 * Tensors: only the model's variables and the optimiser state live across steps;
 * {@link SFTTrainer.dispose} frees the optimiser state (the model stays the caller's).
 *
 * @see Radford et al. 2018 (language-model fine-tuning); Ouyang et al. 2022 (SFT before RLHF);
 *   TRL `SFTTrainer`.
 * @example
 * ```ts
 * import { selectBackend } from '@dpo-ts/core/backend';
 * import { SFTTrainer, loadBaseModel, loadLMSFTJsonl } from '@dpo-ts/lm';
 *
 * await selectBackend();
 * const { model, tokenizer } = await loadBaseModel(); // the committed English GPT (1.6M parameters)
 * const trainer = await SFTTrainer.create({
 *   model,
 *   tokenizer,
 *   trainDataset: await loadLMSFTJsonl('train.jsonl'), // { text } or { prompt, completion } (messages: withChatTemplate(tokenizer))
 *   evalDataset: await loadLMSFTJsonl('eval.jsonl'),
 *   config: { numTrainEpochs: 1, learningRate: 1e-3, perDeviceTrainBatchSize: 16, evalSteps: 100 },
 * });
 * await trainer.train({ checkpoint: { dir: 'runs/sft', resume: 'auto' } });
 * const metrics = await trainer.evaluate(); // eval_loss, eval_perplexity, eval_mean_token_accuracy
 * await trainer.save('runs/sft/model'); // DPOTrainer.load('runs/sft/model') starts DPO from it
 * trainer.dispose();
 * model.dispose();
 * ```
 */
export class SFTTrainer {
  /** The resolved config the trainer runs with (`totalSteps` settled from the data); frozen. */
  readonly config: ResolvedSFTConfig;
  /** The model being trained, updated in place; the caller's, not disposed by {@link SFTTrainer.dispose}. */
  readonly model: CausalLanguageModel & Checkpointable;
  /** AdamW over the model's trainable variables; its moment tensors are freed by {@link SFTTrainer.dispose}. */
  readonly optimizer: AdamWOptimizer;
  /** Tokenised training rows (packed windows with `packing`). */
  readonly trainRows: readonly SFTRow[];
  /** Tokenised evaluation rows; empty without an eval dataset. */
  readonly evalRows: readonly SFTRow[];
  /** Non-padding input tokens trained on so far (saved in checkpoints). */
  numTokens = 0;
  private readonly padTokenId: number;
  private readonly tokenizer: SFTTrainerOptions['tokenizer'];
  private readonly schedule: LRSchedule;
  private readonly trainable: NamedVariables;
  /** The per-micro-batch loss: the same function the worker replicas run. */
  private readonly lossAndMetrics: LossAndMetrics<LMBatch>;
  /** The worker pool while `train()` runs with workers; otherwise steps run on the main thread. */
  private engine: GradientEngine<LMBatch> | undefined;

  /**
   * Validates the options and the config (once) and builds the trainer: the same
   * `await SFTTrainer.create({ model, ..., trainDataset, config })` as every dpo-ts trainer.
   * @throws InvalidArgumentError naming the option or config field, what it accepts and what it got.
   */
  static async create(options: SFTTrainerOptions): Promise<SFTTrainer> {
    return new SFTTrainer(options);
  }

  private constructor(options: SFTTrainerOptions) {
    this.model = options.model;
    this.config = resolveSFTConfig(options.config, options.model);
    const explicitWorkers = typeof this.config.workers === 'number' ? this.config.workers : 1;
    if (Math.min(explicitWorkers, this.config.gradientAccumulationSteps) > 1 && !(this.model instanceof GPT)) {
      throw new InvalidArgumentError(
        'config.workers',
        'at most 1 for a model other than a GPT (workers rebuild the model from its GPTConfig)',
        this.config.workers,
      );
    }
    this.padTokenId = options.tokenizer.padTokenId;
    this.tokenizer = options.tokenizer;
    this.trainRows = tokenizeSFTRecords(options.trainDataset, options.tokenizer, this.config);
    if (this.trainRows.length === 0)
      throw new InvalidArgumentError(
        'trainDataset',
        `enough text for one ${this.config.maxLength}-token window`,
        options.trainDataset.length,
      );
    this.config = withTrainSteps(this.config, this.trainRows.length);
    this.evalRows =
      options.evalDataset === undefined ? [] : tokenizeSFTRecords(options.evalDataset, options.tokenizer, this.config);
    this.trainable = new Map([...this.model.namedVariables()].filter(([, v]) => v.trainable));
    this.optimizer = adamWFromConfig(this.trainable, this.config);
    this.schedule = lrScheduleFromConfig(this.config);
    this.lossAndMetrics = nextTokenLossAndMetrics(this.model, this.config.seed);
  }

  /** The micro-batches of optimiser step `stepIndex` (`gradientAccumulationSteps` of them). */
  batchesForStep(stepIndex: number): LMBatch[] {
    return stepBatchIndices(this.trainRows.length, stepBatchOptions(this.config), stepIndex).map((indices) =>
      buildSFTBatch(
        indices.map((i) => this.trainRows[i]!),
        this.padTokenId,
      ),
    );
  }

  /**
   * One optimiser step on `batches` (micro-batches of one step), 0-based `stepIndex` (it sets
   * the learning rate and the dropout stream). A non-finite loss or gradient norm throws
   * core's `NonFiniteError` before any weight changes.
   */
  async trainStep(batches: LMBatch | readonly LMBatch[], stepIndex: number): Promise<Metrics> {
    const microBatches = (Array.isArray(batches) ? batches : [batches]) as readonly LMBatch[];
    if (microBatches.length === 0) throw new InvalidArgumentError('batches', 'at least one batch', microBatches);
    const totalTokens = microBatches.reduce((sum, batch) => sum + scoredTokenCount(batch), 0);
    if (totalTokens === 0)
      throw new InvalidArgumentError('batches', 'at least one scored token (loss mask 1 after column 0)', 0);
    const learningRate = this.schedule(stepIndex);
    const {
      microBatches: results,
      gradNorm,
      metrics,
    } = await microBatchStep({
      optimizer: this.optimizer,
      variables: this.trainable,
      microBatches,
      // Each micro-batch's summed NLL over the scored tokens of the whole step, so the summed
      // gradients equal one big batch's (transformers' num_items_in_batch).
      lossAndMetrics: this.lossAndMetrics,
      step: { totalTokens },
      ...(this.engine ? { engine: this.engine } : {}),
      reduction: 'sum',
      learningRate,
      maxGradNorm: this.config.maxGradNorm,
      stepIndex,
    });
    const nll = results.reduce((sum, result) => sum + result.loss * totalTokens, 0);
    const correct = results.reduce((sum, result) => sum + result.metrics.correct_count!, 0);
    this.numTokens += microBatches.reduce((sum, batch) => sum + nonPaddingTokens(batch, this.padTokenId), 0);
    return {
      [METRIC_NAMES.loss]: nll / totalTokens,
      [METRIC_NAMES.gradNorm]: gradNorm,
      [METRIC_NAMES.learningRate]: learningRate,
      [METRIC_NAMES.meanTokenAccuracy]: correct / totalTokens,
      [METRIC_NAMES.numTokens]: this.numTokens,
      [METRIC_NAMES.epoch]: epochsCompleted(this.trainRows.length, stepBatchOptions(this.config), stepIndex + 1),
      ...phaseMetricsOf(metrics),
    };
  }

  /**
   * Mean next-token cross-entropy over every scored token of `batches` (default: the eval
   * dataset in batches of `perDeviceEvalBatchSize`), without dropout or weight changes:
   * `eval_loss` (nats per token), `eval_perplexity` = exp(eval_loss), `eval_mean_token_accuracy`
   * (TRL's `eval_` prefix, core's `evalPrefixed`).
   */
  async evaluate(batches?: Iterable<LMBatch>): Promise<Metrics> {
    const source = batches ?? this.evalBatches();
    let nll = 0;
    let tokens = 0;
    let correct = 0;
    for (const batch of source) {
      const stats = tf.tidy(() => {
        const { inputIds, lossMask } = lmBatchTensors(batch);
        const s = nextTokenStatistics(this.model, inputIds, lossMask, { training: false });
        return tf.stack([s.nllSum, s.tokenCount, s.correctCount]);
      });
      const [batchNll, batchTokens, batchCorrect] = await stats.data();
      stats.dispose();
      nll += batchNll!;
      tokens += batchTokens!;
      correct += batchCorrect!;
    }
    if (tokens === 0)
      throw new InvalidArgumentError('batches', 'evaluation data with at least one scored token (pass evalDataset)', 0);
    const loss = nll / tokens;
    return evalPrefixed({
      [METRIC_NAMES.loss]: loss,
      [METRIC_NAMES.perplexity]: Math.exp(loss),
      [METRIC_NAMES.meanTokenAccuracy]: correct / tokens,
    });
  }

  /** Everything a checkpoint needs: weights, optimiser state, the token count. */
  async checkpointContent(): Promise<CheckpointContent> {
    return {
      weights: this.model.namedVariables(),
      optimizer: await this.optimizer.state(),
      metadata: { trainer: 'sft', numTokens: this.numTokens },
    };
  }

  /** Restores what {@link SFTTrainer.checkpointContent} saved. */
  restore(checkpoint: LoadedCheckpoint): void {
    restoreWeights(this.model.namedVariables(), checkpoint.weights, { source: checkpoint.path });
    if (checkpoint.optimizer !== undefined) this.optimizer.loadState(checkpoint.optimizer);
    const metadata = checkpoint.metadata as { numTokens?: number } | null;
    this.numTokens = metadata?.numTokens ?? 0;
  }

  /**
   * Trains for `config.totalSteps` steps through core's `runTrainingLoop`: progress lines with
   * tokens/s and ETA, evaluation every `evalSteps` steps (with an eval dataset), checkpoints
   * every `saveSteps` steps in `checkpoint.dir`, resume, NaN guard, leak check. Step metrics add
   * `train_tokens_per_second` (non-padding input tokens per second since this call began).
   */
  async train(options: TrainOptions = {}): Promise<TrainingLoopResult> {
    if (this.workerCount() === 1) return this.runLoop(options);
    const gpt = this.model as unknown as GPT; // checked at construction
    this.engine = await createGradientEngine<LMBatch>({
      task: { namedVariables: this.trainable, lossAndMetrics: this.lossAndMetrics },
      spec: gptSFTTaskSpec({ gpt: gpt.config, seed: this.config.seed }),
      workers: this.workerCount(),
      microBatchesPerStep: this.config.gradientAccumulationSteps,
    });
    try {
      return await this.runLoop(options);
    } finally {
      const engine = this.engine;
      this.engine = undefined;
      await engine.close();
    }
  }

  private async runLoop(options: TrainOptions): Promise<TrainingLoopResult> {
    const throughput = new Throughput();
    const headline = [
      METRIC_NAMES.loss,
      METRIC_NAMES.meanTokenAccuracy,
      METRIC_NAMES.gradNorm,
      METRIC_NAMES.learningRate,
      METRIC_NAMES.trainTokensPerSecond,
    ];
    return runTrainerLoop(
      {
        ...trainingArgumentsLoop(this.config, headline),
        step: async (stepIndex) => {
          const batches = this.batchesForStep(stepIndex);
          const metrics = await this.trainStep(batches, stepIndex);
          const rows = batches.reduce((sum, batch) => sum + batch.batchSize, 0);
          const tokens = batches.reduce((sum, batch) => sum + nonPaddingTokens(batch, this.padTokenId), 0);
          return { ...metrics, [METRIC_NAMES.trainTokensPerSecond]: throughput.add(rows, tokens).tokensPerSecond };
        },
        evaluate: this.evalRows.length > 0 ? () => this.evaluate() : undefined,
        save: () => this.checkpointContent(),
        restore: (checkpoint) => this.restore(checkpoint),
        trainer: 'sft',
        modelConfig: lmModelArchitecture(this.model),
      },
      options,
    );
  }

  /**
   * Saves the model as trained so far (weights, `config.json`, `tokenizer.json` and
   * `trainer.json` with this config and step) to `dir`, atomically: a failed save leaves a
   * previous model in `dir` intact. {@link SFTTrainer.load} reads it back.
   * @throws InvalidArgumentError naming `model` (not a GPT) or `tokenizer` (no `toJSON()`).
   */
  async save(dir: string): Promise<void> {
    await saveLanguageModel(dir, {
      kind: 'sft',
      model: this.model,
      tokenizer: this.tokenizer,
      trainerConfig: this.config,
      step: this.optimizer.step,
    });
  }

  /**
   * Reads a model saved by an lm trainer's `save(dir)` (SFT or DPO: {@link loadLanguageModel}),
   * to sample from or to start the next stage. The caller disposes the returned model.
   */
  static load(dir: string): Promise<SavedLanguageModel> {
    return loadLanguageModel(dir);
  }

  /** Frees the optimiser state (the model belongs to the caller). */
  dispose(): void {
    this.optimizer.dispose();
  }

  /**
   * Worker threads `train()` uses: `config.workers` capped by the micro-batches per step; `'auto'`
   * stays on the main thread for a model other than a GPT or one under core's
   * `AUTO_WORKERS_MIN_PARAMETERS` trainable parameters.
   */
  private workerCount(): number {
    if (!(this.model instanceof GPT)) return 1;
    return resolveWorkerCount(
      engineWorkers(this.config.workers),
      this.config.gradientAccumulationSteps,
      undefined,
      trainableParameterCount(this.trainable),
    );
  }

  private *evalBatches(): Generator<LMBatch> {
    const size = this.config.perDeviceEvalBatchSize;
    for (let start = 0; start < this.evalRows.length; start += size) {
      yield buildSFTBatch(this.evalRows.slice(start, start + size), this.padTokenId);
    }
  }
}

/** Tokens of a batch that are not padding (rows are right-padded, so by row length). */
function nonPaddingTokens(batch: LMBatch, padTokenId: number): number {
  let count = 0;
  for (let r = 0; r < batch.batchSize; r++) {
    let length = batch.sequenceLength;
    while (
      length > 0 &&
      batch.inputIds[r * batch.sequenceLength + length - 1] === padTokenId &&
      batch.lossMask[r * batch.sequenceLength + length - 1] === 0
    )
      length--;
    count += length;
  }
  return count;
}
