import {
  InvalidArgumentError,
  METRIC_NAMES,
  PreferenceTrainer,
  Rng,
  runTrainerLoop,
  stepBatchOptions,
  Throughput,
  trainingArgumentsLoop,
  type ReferenceScoreCache,
  type CheckpointContent,
  type Checkpointable,
  type LoadedCheckpoint,
  type Metrics,
  type ReferenceSource,
  type TrainingLoopResult,
  type TrainOptions,
} from '@dpo-ts/core';
import type { CausalLanguageModel } from './causal-lm.js';
import { resolveDPOConfig, type DPOConfig, type ResolvedDPOConfig } from './dpo-config.js';
import { buildDPOBatch, tokenizePreferenceDataset, type DPOBatch, type PreferenceTextRecord, type TokenizedPreferenceDataset } from './dpo-dataset.js';
import { frozenCopy, openReferenceCache, precomputeReferenceScores, type ReferencePrecomputation } from './dpo-reference.js';
import { LMPreferenceScorer } from './lm-preference-scorer.js';
import { epochsCompleted, stepBatchIndices, stepSeed } from './step-schedule.js';
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
  /** Tokenises the pairs (and supplies PAD, BOS, EOS). */
  readonly tokenizer: Pick<Tokenizer, 'encode' | 'padTokenId' | 'bosTokenId' | 'eosTokenId'>;
  /** Training pairs `{ prompt, chosen, rejected }` (core's `PreferenceRecord` from JSONL fits). */
  readonly trainDataset: readonly PreferenceTextRecord[];
  /** Held-out pairs for {@link DPOTrainer.evaluate}. */
  readonly evalDataset?: readonly PreferenceTextRecord[];
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
 * Direct preference optimisation of a causal language model: core's `PreferenceTrainer` with
 * the LM scorer (score = summed completion log-likelihood, chosen and rejected in one
 * concatenated forward pass) and tokenised pairs, TRL's `DPOTrainer`.
 *
 *   loss = -log sigmoid(beta * ((log pi(y_w|x) - log pi_ref(y_w|x)) - (log pi(y_l|x) - log pi_ref(y_l|x))))
 *
 * for `lossType: 'sigmoid'`; every loss of core's registry works (`ipo` and `sigmoid_norm`
 * divide by the completion lengths the scorer reports). The reference is (a) a frozen copy of
 * the policy run every step (TRL's default, needed for TR-DPO's `syncRefModel`), (b) scores
 * precomputed once and cached, on disk with `referenceCacheFile` (`precomputeRefLogProbs`),
 * or (c) none (`referenceFree`).
 *
 * Create with the async {@link DPOTrainer.create} (it fingerprints the reference weights and
 * opens the cache). Step i's micro-batches depend only on i and the seed, and dropout draws
 * from a stream derived from (seed, step), so a resumed run is bit-identical.
 *
 * Tensors: only variables and optimiser state live across steps; {@link DPOTrainer.dispose}
 * frees the optimiser state and a reference copy the trainer made.
 *
 * @see Rafailov et al. 2023, "Direct Preference Optimization", Eq. 7; Gorbatovski et al. 2024
 *   (TR-DPO); TRL `DPOTrainer`.
 * @example
 * const trainer = await DPOTrainer.create({ model, tokenizer, trainDataset: pairs, evalDataset: heldOut,
 *   config: { totalSteps: 200, beta: 0.1, learningRate: 5e-4, precomputeRefLogProbs: true, evalSteps: 50 },
 *   referenceCacheFile: 'runs/dpo/reference-scores.json' });
 * await trainer.train({ checkpointDir: 'runs/dpo', resume: 'auto' });
 * trainer.dispose();
 */
export class DPOTrainer {
  readonly config: ResolvedDPOConfig;
  readonly model: DPOModel;
  /** The reference model, or undefined when reference-free. */
  readonly referenceModel: DPOModel | undefined;
  readonly trainData: TokenizedPreferenceDataset;
  readonly evalData: TokenizedPreferenceDataset | undefined;
  /** The reference-score cache with `precomputeRefLogProbs`. */
  readonly referenceCache: ReferenceScoreCache | undefined;
  /** Core's generic trainer that does the optimisation. */
  readonly preferenceTrainer: PreferenceTrainer<DPOBatch>;
  private readonly tokens: Pick<Tokenizer, 'padTokenId' | 'bosTokenId' | 'eosTokenId'>;
  private readonly ownsReference: boolean;
  private readonly persistCache: boolean;
  private stepRng: Rng | undefined;

  private constructor(parts: {
    config: ResolvedDPOConfig;
    options: DPOTrainerOptions;
    trainData: TokenizedPreferenceDataset;
    evalData: TokenizedPreferenceDataset | undefined;
    referenceModel: DPOModel | undefined;
    ownsReference: boolean;
    cache: ReferenceScoreCache | undefined;
  }) {
    const { config, options } = parts;
    this.config = config;
    this.model = options.model;
    this.referenceModel = parts.referenceModel;
    this.ownsReference = parts.ownsReference;
    this.trainData = parts.trainData;
    this.evalData = parts.evalData;
    this.referenceCache = parts.cache;
    this.persistCache = options.referenceCacheFile !== undefined;
    this.tokens = options.tokenizer;
    const policy = new LMPreferenceScorer(this.model, { reduction: config.scoreReduction, rng: () => this.stepRng });
    let reference: ReferenceSource<DPOBatch> = { kind: 'none' };
    if (this.referenceModel !== undefined) {
      const scorer = new LMPreferenceScorer(this.referenceModel, { reduction: config.scoreReduction, trainable: false });
      reference = parts.cache !== undefined ? { kind: 'cache', cache: parts.cache, keys: (batch) => batch.keys, scorer } : { kind: 'model', scorer };
    }
    this.preferenceTrainer = new PreferenceTrainer<DPOBatch>({
      policy,
      reference,
      config: config.preference,
      batchSize: (batch) => batch.numPairs,
    });
  }

  /**
   * Validates the config, tokenises the pairs, prepares the reference (a frozen clone unless
   * given) and, with `precomputeRefLogProbs`, opens the reference-score cache under a
   * fingerprint of the reference weights and the data. Scores are computed by
   * {@link DPOTrainer.precomputeReferenceScores} (which `train` calls first).
   */
  static async create(options: DPOTrainerOptions): Promise<DPOTrainer> {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'an object', options);
    if (options.referenceModel !== undefined && options.referenceModel === options.model) {
      // Its scores would equal the policy's at every step: every log-ratio 0, the loss stuck at log 2.
      const alternatives = 'omit it for a frozen copy of the policy, or set config.referenceFree: true for no reference';
      throw new InvalidArgumentError('options.referenceModel', 'a separate model (model.clone()), not the policy itself', 'the policy', alternatives);
    }
    const config = resolveDPOConfig(options.config, options.model);
    if (options.referenceCacheFile !== undefined && !config.precomputeRefLogProbs) {
      throw new InvalidArgumentError('options.referenceCacheFile', 'given only with config.precomputeRefLogProbs: true', options.referenceCacheFile);
    }
    const layout = { maxLength: config.maxLength, maxPromptLength: config.maxPromptLength, maxCompletionLength: config.maxCompletionLength, truncationMode: config.truncationMode };
    const trainData = tokenizePreferenceDataset(options.trainDataset, options.tokenizer, layout, 'train');
    const evalData = options.evalDataset === undefined ? undefined : tokenizePreferenceDataset(options.evalDataset, options.tokenizer, layout, 'eval');
    const referenceFree = config.preference.loss.referenceFree;
    let referenceModel: DPOModel | undefined;
    let ownsReference = false;
    if (!referenceFree) {
      referenceModel = options.referenceModel;
      if (referenceModel === undefined) {
        referenceModel = frozenCopy(options.model);
        ownsReference = true;
      }
    }
    try {
      const cache =
        config.precomputeRefLogProbs && referenceModel !== undefined
          ? await openReferenceCache({ reference: referenceModel, reduction: config.scoreReduction, trainData, evalData, file: options.referenceCacheFile })
          : undefined;
      return new DPOTrainer({ config, options, trainData, evalData, referenceModel, ownsReference, cache });
    } catch (error) {
      if (ownsReference) (referenceModel as Partial<{ dispose(): void }>).dispose?.();
      throw error;
    }
  }

  /** The micro-batches of optimiser step `stepIndex` (`gradientAccumulationSteps` of them). */
  batchesForStep(stepIndex: number): DPOBatch[] {
    return stepBatchIndices(this.trainData.examples.length, stepBatchOptions(this.config), stepIndex).map((indices) => buildDPOBatch(this.trainData, indices, this.tokens));
  }

  /**
   * Scores every train and eval pair missing from the cache with the reference model, in
   * batches of `precomputeRefBatchSize`, and saves the cache file (when there is one). A no-op
   * without `precomputeRefLogProbs`.
   */
  async precomputeReferenceScores(): Promise<ReferencePrecomputation> {
    const source = this.preferenceTrainer.reference;
    if (source.kind !== 'cache') return { computed: 0, reused: 0, batches: 0 };
    const datasets = this.evalData === undefined ? [this.trainData] : [this.trainData, this.evalData];
    const done = await precomputeReferenceScores(source, datasets, this.config.precomputeRefBatchSize, this.tokens);
    if (this.persistCache) await source.cache.save();
    return done;
  }

  /**
   * One optimiser step on `batches` (micro-batches of one step; gradients averaged), 0-based
   * `stepIndex`. Returns TRL's metrics (`loss`, `grad_norm`, `learning_rate`, `rewards/*`,
   * `logps/*`) and `epoch`.
   */
  async trainStep(batches: DPOBatch | readonly DPOBatch[], stepIndex: number): Promise<Metrics> {
    this.stepRng = new Rng(stepSeed(this.config.seed, stepIndex));
    try {
      const metrics = await this.preferenceTrainer.trainStep(batches, stepIndex);
      return { ...metrics, [METRIC_NAMES.epoch]: epochsCompleted(this.trainData.examples.length, stepBatchOptions(this.config), stepIndex + 1) };
    } finally {
      this.stepRng = undefined;
    }
  }

  /**
   * Loss and TRL metrics over `batches` (default: the eval dataset in batches of
   * `perDeviceEvalBatchSize`), means weighted by pairs; no dropout, no weight change.
   */
  async evaluate(batches?: Iterable<DPOBatch>): Promise<Metrics> {
    if (batches === undefined && this.evalData === undefined) throw new InvalidArgumentError('batches', 'batches, or an evalDataset given to DPOTrainer.create', undefined);
    return this.preferenceTrainer.evaluate(batches ?? this.evalBatches());
  }

  /** Policy weights, optimiser state, loss state, and the reference weights under TR-DPO. */
  async checkpointContent(): Promise<CheckpointContent> {
    const content = await this.preferenceTrainer.checkpointContent();
    return { ...content, metadata: { trainer: 'dpo', ...(content.metadata as Record<string, never>) } };
  }

  /** Restores what {@link DPOTrainer.checkpointContent} saved. */
  restore(checkpoint: LoadedCheckpoint): void {
    this.preferenceTrainer.restore(checkpoint);
  }

  /**
   * Precomputes reference scores when configured, then trains for `config.totalSteps` steps
   * through core's `runTrainingLoop` (progress with pairs/s and ETA, evaluation every
   * `evalSteps`, checkpoints every `saveSteps` in `checkpointDir`, resume, NaN guard, leak
   * check). Step metrics add `train_samples_per_second` (pairs) and `train_tokens_per_second`.
   */
  async train(options: TrainOptions = {}): Promise<TrainingLoopResult> {
    if (this.referenceCache !== undefined) {
      const done = await this.precomputeReferenceScores();
      if (options.progress !== false) {
        const where = this.persistCache ? this.referenceCache.file : 'memory';
        process.stderr.write(`reference scores: ${done.computed} pairs computed, ${done.reused} reused (cache ${this.referenceCache.status}, ${where})\n`);
      }
    }
    const throughput = new Throughput();
    const headline = [
      METRIC_NAMES.loss,
      METRIC_NAMES.rewardsAccuracies,
      METRIC_NAMES.rewardsMargins,
      METRIC_NAMES.rewardsChosen,
      METRIC_NAMES.rewardsRejected,
      METRIC_NAMES.gradNorm,
      METRIC_NAMES.trainSamplesPerSecond,
    ];
    return runTrainerLoop(
      {
        ...trainingArgumentsLoop(this.config, headline),
        step: async (stepIndex) => {
          const batches = this.batchesForStep(stepIndex);
          const metrics = await this.trainStep(batches, stepIndex);
          const pairs = batches.reduce((sum, batch) => sum + batch.numPairs, 0);
          const tokens = batches.reduce((sum, batch) => sum + batch.promptLengths.reduce((a, b, r) => a + b + batch.completionLengths[r]!, 0), 0);
          const rates = throughput.add(pairs, tokens);
          return { ...metrics, [METRIC_NAMES.trainSamplesPerSecond]: rates.samplesPerSecond, [METRIC_NAMES.trainTokensPerSecond]: rates.tokensPerSecond };
        },
        evaluate: this.evalData !== undefined ? () => this.evaluate() : undefined,
        save: () => this.checkpointContent(),
        restore: (checkpoint) => this.restore(checkpoint),
      },
      options,
    );
  }

  /** Frees the optimiser state and the reference copy the trainer made (not the caller's models). */
  dispose(): void {
    this.preferenceTrainer.dispose();
    if (this.ownsReference) (this.referenceModel as Partial<{ dispose(): void }>).dispose?.();
  }


  private *evalBatches(): Generator<DPOBatch> {
    const data = this.evalData!;
    const size = this.config.perDeviceEvalBatchSize;
    for (let start = 0; start < data.examples.length; start += size) {
      const indices = Array.from({ length: Math.min(size, data.examples.length - start) }, (_, i) => start + i);
      yield buildDPOBatch(data, indices, this.tokens);
    }
  }
}
