import { InvalidArgumentError, METRIC_NAMES, type Checkpointable } from '@dpo-ts/core';
import { stepBatchOptions, withTrainSteps } from '@dpo-ts/core/training';
import { prepareReference, PreferenceTrainerBase, type PreparedReference } from '@dpo-ts/core/preference';
import type { CausalLanguageModel } from './causal-lm.js';
import { completionLogitMetrics } from './completion-logits.js';
import { resolveDPOConfig, type DPOConfig, type ResolvedDPOConfig } from './dpo-config.js';
import {
  buildDPOBatch,
  tokenizePreferenceDataset,
  type DPOBatch,
  type TokenizedPreferenceDataset,
} from './dpo-dataset.js';
import { frozenCopy } from './dpo-reference.js';
import { gptPreferenceScorerSpec, microBatchDropout } from './gpt-preference-scorer.js';
import { GPT } from './gpt-model.js';
import { lmReferenceFingerprint } from './lm-reference-fingerprint.js';
import { lmModelArchitecture } from './model-architecture.js';
import { LMPreferenceScorer } from './lm-preference-scorer.js';
import type { LMPreferenceInput } from './preference-inputs.js';
import { loadLanguageModel, saveLanguageModel, type SavedLanguageModel } from './saved-language-model.js';
import { epochsCompleted, stepBatchIndices } from './step-schedule.js';
import type { Tokenizer } from './tokenizer.js';

/** A language model a {@link DPOTrainer} can train or use as reference. */
export type DPOModel = CausalLanguageModel & Checkpointable;

/** What a {@link DPOTrainer} trains, against what, on what. */
export interface DPOTrainerOptions {
  /** The policy; its trainable named variables are optimised in place. */
  readonly model: DPOModel;
  /**
   * The reference pi_ref. Default: a frozen copy of `model` made by `model.clone()` (its
   * variables marked `trainable: false`), disposed with the trainer. Not used when
   * `referenceFree`; with `precomputeRefLogProbs` it runs only for pairs not in the cache.
   * A separate model: passing `model` itself is refused.
   */
  readonly referenceModel?: DPOModel;
  /** Tokenises the pairs (and supplies PAD, BOS, EOS, and the chat template of conversational rows). */
  readonly tokenizer: Pick<Tokenizer, 'encode' | 'padTokenId' | 'bosTokenId' | 'eosTokenId' | 'chatTemplate'>;
  /**
   * Training pairs in any of TRL's preference formats ({@link LMPreferenceInput}): `{ prompt,
   * chosen, rejected }` strings (core's `PreferenceRecord` from JSONL fits), an implicit prompt
   * (`{ chosen, rejected }`), or message lists rendered with `tokenizer.chatTemplate`.
   */
  readonly trainDataset: readonly LMPreferenceInput[];
  /** Held-out pairs for {@link DPOTrainer.evaluate}. */
  readonly evalDataset?: readonly LMPreferenceInput[];
  /**
   * The DPO settings (TRL's `DPOConfig` names, camel-cased), resolved once by {@link DPOTrainer.create} against the model's `contextLength`.
   */
  readonly config: DPOConfig;
  /**
   * With `precomputeRefLogProbs`: the JSON file that keeps the reference scores across runs
   * (core's `ReferenceScoreCache`). It is reused when the fingerprint of the reference weights,
   * the tokenised train and eval pairs, the truncation settings and the score reduction all
   * match, and rebuilt otherwise. Omitted: the scores are precomputed in memory only.
   */
  readonly referenceCacheFile?: string;
}

/**
 * Direct preference optimisation of a causal language model: core's `PreferenceTrainerBase`
 * (reference, cache, precomputation, loop, checkpoints) with the LM scorer (score = summed completion log-likelihood, chosen and rejected in one
 * concatenated forward pass) and tokenised pairs, TRL's `DPOTrainer`.
 *
 *   loss = -log sigmoid(beta * ((log pi(y_w|x) - log pi_ref(y_w|x)) - (log pi(y_l|x) - log pi_ref(y_l|x))))
 *
 * for `lossType: 'sigmoid'`; every loss of core's registry works (`ipo` and `sigmoid_norm`
 * divide by the completion lengths the scorer reports). The reference is (a) a frozen copy of
 * the policy run every step (TRL's default, needed for TR-DPO's `syncRefModel`), (b) scores
 * precomputed once and kept, on disk with `referenceCacheFile` or in memory (`precomputeRefLogProbs`),
 * or (c) none (`referenceFree`).
 *
 * Create with the async {@link DPOTrainer.create} (it fingerprints the reference weights and
 * opens the cache). Step i's micro-batches depend only on i and the seed, and dropout draws
 * from a stream derived from (seed, step, micro-batch), so a resumed run is bit-identical.
 *
 * Workers: for a `GPT` policy, `config.workers` > 1 computes each step's micro-batches on
 * worker threads with policy replicas (core's `PreferenceTrainerBase`); the reference runs on
 * the main thread (or comes from the cache) and its scores travel with the micro-batches.
 *
 * Tensors: only variables and optimiser state live across steps; {@link DPOTrainer.dispose}
 * frees the optimiser state and a reference copy the trainer made.
 *
 * @see Rafailov et al. 2023, "Direct Preference Optimization", Eq. 7; Gorbatovski et al. 2024
 *   (TR-DPO); TRL `DPOTrainer`.
 * @example
 * ```ts
 * import { selectBackend } from '@dpo-ts/core/backend';
 * import { DPOTrainer, loadLMPreferenceJsonl } from '@dpo-ts/lm';
 *
 * await selectBackend();
 * const { model, tokenizer } = await DPOTrainer.load('runs/sft/model'); // e.g. what SFTTrainer.save wrote
 * const trainer = await DPOTrainer.create({
 *   model, // the policy; the reference is a frozen copy of it
 *   tokenizer,
 *   trainDataset: await loadLMPreferenceJsonl('pairs.jsonl'), // { prompt?, chosen, rejected } (messages: withChatTemplate(tokenizer))
 *   evalDataset: await loadLMPreferenceJsonl('held-out.jsonl'),
 *   config: { numTrainEpochs: 1, beta: 0.1, learningRate: 5e-5, precomputeRefLogProbs: true, evalSteps: 50 },
 *   referenceCacheFile: 'runs/dpo/reference-scores.json', // reused by later runs on the same data and reference
 * });
 * await trainer.train({ checkpoint: { dir: 'runs/dpo', resume: 'auto' } });
 * const metrics = await trainer.evaluate(); // eval_loss, eval_rewards/accuracies, eval_rewards/margins, ...
 * await trainer.save('runs/dpo/model');
 * trainer.dispose();
 * model.dispose();
 * ```
 */
export class DPOTrainer extends PreferenceTrainerBase<DPOModel, DPOBatch, ResolvedDPOConfig> {
  /** The training pairs tokenised once, with their stable keys and fingerprint (split `'train'`). */
  readonly trainData: TokenizedPreferenceDataset;
  /** The evaluation pairs tokenised (split `'eval'`), or undefined without an `evalDataset`. */
  readonly evalData: TokenizedPreferenceDataset | undefined;
  protected readonly headlineMetrics = [
    METRIC_NAMES.loss,
    METRIC_NAMES.rewardsAccuracies,
    METRIC_NAMES.rewardsMargins,
    METRIC_NAMES.rewardsChosen,
    METRIC_NAMES.rewardsRejected,
    METRIC_NAMES.gradNorm,
    METRIC_NAMES.trainSamplesPerSecond,
  ];
  private readonly tokens: Pick<Tokenizer, 'padTokenId' | 'bosTokenId' | 'eosTokenId'>;

  private constructor(
    config: ResolvedDPOConfig,
    options: DPOTrainerOptions,
    data: { train: TokenizedPreferenceDataset; eval: TokenizedPreferenceDataset | undefined },
    reference: PreparedReference<DPOModel>,
  ) {
    const reduction = config.scoreReduction;
    super({
      kind: 'dpo',
      modelConfig: lmModelArchitecture(options.model),
      config,
      model: options.model,
      reference,
      policyScorer: new LMPreferenceScorer(options.model, {
        reduction,
        rng: microBatchDropout(config.seed),
        logitMetrics: true,
      }),
      referenceScorer:
        reference.model === undefined
          ? undefined
          : new LMPreferenceScorer(reference.model, { reduction, trainable: false }),
      keys: (batch) => batch.keys,
      numPairs: (batch) => batch.numPairs,
      pairMetrics: completionLogitMetrics,
      ...(options.model instanceof GPT
        ? {
            workerScorer: gptPreferenceScorerSpec({
              gpt: options.model.config,
              reduction,
              seed: config.seed,
              logitMetrics: true,
            }),
          }
        : {}),
      // Each worker scores its micro-batches with its own frozen reference replica.
      ...(reference.model instanceof GPT
        ? { workerReferenceScorer: gptPreferenceScorerSpec({ gpt: reference.model.config, reduction }) }
        : {}),
    });
    this.trainData = data.train;
    this.evalData = data.eval;
    this.tokens = options.tokenizer;
  }

  /**
   * Validates the config, tokenises the pairs, prepares the reference (a frozen clone unless
   * given) and, with `precomputeRefLogProbs`, the reference-score cache: on disk under a
   * fingerprint of the reference weights and the data with `referenceCacheFile`, else in
   * memory. Scores are computed by `precomputeReferenceScores` (which `train` calls first).
   */
  static async create(options: DPOTrainerOptions): Promise<DPOTrainer> {
    if (options === null || typeof options !== 'object')
      throw new InvalidArgumentError('options', 'an object', options);
    const resolved = resolveDPOConfig(options.config, options.model);
    const layout = {
      maxLength: resolved.maxLength,
      maxPromptLength: resolved.maxPromptLength,
      maxCompletionLength: resolved.maxCompletionLength,
      truncationMode: resolved.truncationMode,
    };
    const train = tokenizePreferenceDataset(options.trainDataset, options.tokenizer, layout, 'train');
    const config = withTrainSteps(resolved, train.examples.length);
    const evalData =
      options.evalDataset === undefined
        ? undefined
        : tokenizePreferenceDataset(options.evalDataset, options.tokenizer, layout, 'eval');
    const reference = await prepareReference<DPOModel>({
      model: options.model,
      referenceModel: options.referenceModel,
      referenceFree: config.loss.referenceFree,
      clone: frozenCopy,
      separateReference: 'a separate model (model.clone())',
      precompute: config.precomputeRefLogProbs,
      cacheFile: options.referenceCacheFile,
      fingerprint: (model) =>
        lmReferenceFingerprint({ reference: model, reduction: config.scoreReduction, trainData: train, evalData }),
    });
    try {
      return new DPOTrainer(config, options, { train, eval: evalData }, reference);
    } catch (error) {
      reference.dispose();
      throw error;
    }
  }

  /**
   * Saves the policy as trained so far (weights, `config.json`, `tokenizer.json` and
   * `trainer.json` with this config and step) to `dir`, atomically: a failed save leaves a
   * previous model in `dir` intact. {@link DPOTrainer.load} reads it back.
   * @throws InvalidArgumentError naming `model` (not a GPT) or `tokenizer` (no `toJSON()`).
   */
  async save(dir: string): Promise<void> {
    await saveLanguageModel(dir, {
      kind: 'dpo',
      model: this.model,
      tokenizer: this.tokens,
      trainerConfig: this.config,
      step: this.preferenceTrainer.optimizer.step,
    });
  }

  /**
   * Reads a model saved by an lm trainer's `save(dir)` (SFT or DPO: {@link loadLanguageModel}),
   * to sample from or to start the next stage. The caller disposes the returned model.
   */
  static load(dir: string): Promise<SavedLanguageModel> {
    return loadLanguageModel(dir);
  }

  /** The micro-batches of optimiser step `stepIndex` (`gradientAccumulationSteps` of them). */
  batchesForStep(stepIndex: number): DPOBatch[] {
    return stepBatchIndices(this.trainData.examples.length, stepBatchOptions(this.config), stepIndex).map((indices) =>
      buildDPOBatch(this.trainData, indices, this.tokens),
    );
  }

  protected defaultEvalBatches(): Iterable<DPOBatch> | undefined {
    return this.evalData === undefined ? undefined : this.batchesOf(this.evalData, this.config.perDeviceEvalBatchSize);
  }

  protected *precomputeBatches(): Generator<DPOBatch> {
    for (const data of this.evalData === undefined ? [this.trainData] : [this.trainData, this.evalData]) {
      yield* this.batchesOf(data, this.config.precomputeRefBatchSize);
    }
  }

  protected epochAfter(completedSteps: number): number {
    return epochsCompleted(this.trainData.examples.length, stepBatchOptions(this.config), completedSteps);
  }

  protected override tokensOf(batch: DPOBatch): number {
    return batch.promptLengths.reduce((a, b, r) => a + b + batch.completionLengths[r]!, 0);
  }

  private *batchesOf(data: TokenizedPreferenceDataset, size: number): Generator<DPOBatch> {
    for (let start = 0; start < data.examples.length; start += size) {
      const indices = Array.from({ length: Math.min(size, data.examples.length - start) }, (_, i) => start + i);
      yield buildDPOBatch(data, indices, this.tokens);
    }
  }
}
