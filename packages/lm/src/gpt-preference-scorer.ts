import type { ScoreContext, ScoreReduction } from '@dpo-ts/core';
import { mixSeeds, Rng, type JsonValue } from '@dpo-ts/core/training';
import type { PreferenceScorerReplica } from '@dpo-ts/core/preference';
import type { ParallelTaskSpec } from '@dpo-ts/core/parallel';
import type { GPTConfigInput } from './gpt-config.js';
import { GPT } from './gpt-model.js';
import { LMPreferenceScorer } from './lm-preference-scorer.js';
import type { LMPreferenceBatch } from './preference-batch.js';

/** Configuration of {@link createGPTPreferenceScorer}: JSON, so it can build the replica in a worker. */
export type GPTPreferenceScorerConfig = {
  /** The policy GPT's configuration (`gpt.config` of the main thread's model). */
  readonly gpt: GPTConfigInput;
  /** How token log-probs make a score. @defaultValue 'sum' */
  readonly reduction?: ScoreReduction;
  /** Seed of the dropout streams (the trainer's `config.seed`). @defaultValue 42 */
  readonly seed?: number;
  /**
   * Whether scores carry the completion-logit details behind TRL's `logits/chosen` and
   * `logits/rejected` (as the DPOTrainer's own policy scorer; off for a reference replica).
   * @defaultValue false
   */
  readonly logitMetrics?: boolean;
};

/**
 * The dropout stream of a DPO policy scorer: `new Rng(mixSeeds(seed, stepIndex,
 * microBatchIndex))` for a call that scores one micro-batch of a training step, else none
 * (the model's own stream; unused without `training`). One stream per micro-batch, so its masks
 * do not depend on which thread computes it nor on the micro-batches before it.
 */
export function microBatchDropout(seed: number): (context: ScoreContext) => Rng | undefined {
  return (context) =>
    context.microBatch === undefined
      ? undefined
      : new Rng(mixSeeds(seed, context.microBatch.stepIndex, context.microBatch.microBatchIndex));
}

/**
 * A DPO policy scorer on a new GPT built from `config.gpt`, for core's data-parallel
 * preference step (a core `PreferenceScorerFactory`): the same {@link LMPreferenceScorer} with
 * the same reduction and {@link microBatchDropout} stream as lm's `DPOTrainer` on the main
 * thread. The engine overwrites the weights before each step. `dispose()` frees the GPT.
 */
export function createGPTPreferenceScorer(
  config: GPTPreferenceScorerConfig,
): PreferenceScorerReplica<LMPreferenceBatch> {
  const model = new GPT(config.gpt);
  const scorer = new LMPreferenceScorer(model, {
    reduction: config.reduction ?? 'sum',
    rng: microBatchDropout(config.seed ?? 42),
    logitMetrics: config.logitMetrics ?? false,
  });
  return { scorer, dispose: () => model.dispose() };
}

/** The spec of {@link createGPTPreferenceScorer}(config), for `PreferenceTrainerParts.workerScorer`. */
export function gptPreferenceScorerSpec(config: GPTPreferenceScorerConfig): ParallelTaskSpec {
  return { module: '@dpo-ts/lm', export: 'createGPTPreferenceScorer', config: config as unknown as JsonValue };
}
