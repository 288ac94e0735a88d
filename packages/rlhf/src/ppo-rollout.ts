import * as tf from '@tensorflow/tfjs-core';
import { METRIC_NAMES } from '@dpo-ts/core';
import type { Metrics } from '@dpo-ts/core';
import type { Rng } from '@dpo-ts/core/training';
import type { GPT, Tokenizer } from '@dpo-ts/lm';
import type { ScalarHead } from '@dpo-ts/reward';
import type { KLEstimator } from './kl-estimators.js';
import { PPO_TIMING_METRIC_NAMES } from './ppo-metrics.js';
import { computePPOTargets } from './ppo-targets.js';
import { responseHiddenStates, responseLogProbs } from './response-forward.js';
import { computeRewardScores, type RewardSource } from './reward-source.js';
import { layoutRollout, rolloutTensors, type RolloutLayout } from './rollout-layout.js';
import { generateRollout, type RolloutSampling } from './rollout-generation.js';

/** The models a rollout uses; none is changed. */
export interface PPOModels {
  /** The policy being trained: samples, and gives π_old and (with a shared value head) the states. */
  readonly policy: GPT;
  /** The frozen reference π_ref. */
  readonly reference: GPT;
  /** A separate value backbone, or undefined for a value head on the policy backbone. */
  readonly critic: GPT | undefined;
  /** The value head V(s) = h(s) w + b. */
  readonly valueHead: ScalarHead;
}

/** Settings of {@link collectRollout} (a subset of the resolved PPO config, plus β). */
export interface RolloutOptions {
  /** {@inheritDoc PPOConfig.responseLength} */
  readonly responseLength: number;
  /** {@inheritDoc PPOConfig.temperature} */
  readonly temperature: number;
  /** {@inheritDoc PPOConfig.stopAtEos} */
  readonly stopAtEos: boolean;
  /** {@inheritDoc PPOConfig.missingEosPenalty} */
  readonly missingEosPenalty: number | undefined;
  /** {@inheritDoc PPOConfig.klCoef} */
  readonly klCoef: number;
  /** {@inheritDoc PPOConfig.klEstimator} */
  readonly klEstimator: KLEstimator;
  /** {@inheritDoc PPOConfig.whitenRewards} */
  readonly whitenRewards: boolean;
  /** {@inheritDoc PPOConfig.gamma} */
  readonly gamma: number;
  /** {@inheritDoc PPOConfig.lam} */
  readonly lam: number;
}

/**
 * A scored batch of rollouts with everything the optimisation epochs need, as plain typed
 * arrays (`[B, R]` row-major, zero past each row's end): no tensors to dispose.
 */
export interface PPORolloutBatch {
  /** The padded token layout of the B rollouts (input ids, masks, response ids and lengths). */
  readonly layout: RolloutLayout;
  /** The prompt of each rollout, `[B]`. */
  readonly prompts: readonly string[];
  /** The decoded completion of each rollout, `[B]`. */
  readonly completions: readonly string[];
  /** Scores after the missing-EOS penalty. */
  readonly scores: readonly number[];
  /** log π_old(y_t) of each sampled token at the sampling temperature, `[B, R]`. */
  readonly oldLogProbs: Float32Array;
  /** V_old(s_t) of the value model before the update, `[B, R]`. */
  readonly oldValues: Float32Array;
  /** GAE advantages, whitened over the mask, `[B, R]`. */
  readonly advantages: Float32Array;
  /** Value targets: unwhitened advantages + V_old, `[B, R]`. */
  readonly returns: Float32Array;
  /** The rollout's `objective/*`, `val/num_eos_tokens`, `kl_coef` and timing metrics. */
  readonly metrics: Metrics;
}

/**
 * The rollout phase of one PPO update, in TRL's order: sample completions with per-token
 * log-probs (`generate`, softmax(logits / T), EOS stopping), score them (reward function or
 * model; minus `missingEosPenalty` for completions without EOS), run the frozen reference and the
 * policy and value model without gradients, then compute the per-token rewards, advantages
 * and returns ({@link computePPOTargets}).
 *
 * π_old is recomputed by a full forward pass instead of taken from the sampler: the same
 * quantity, but bit-identical to what the optimisation epochs compute, so the first ratio is
 * exactly 1 (with a shared value head the pass is needed for the values anyway).
 *
 * With `sampling` (workers > 1, `'auto'` or a pool), the completions are sampled on worker
 * threads in seeded tasks ({@link generateRollout}); without it, by one `generate` call.
 *
 * Leaves no tensor behind.
 * @see TRL `PPOTrainer.train` (rollout, steps 1-6).
 */
export async function collectRollout(
  models: PPOModels,
  tokenizer: Tokenizer,
  prompts: readonly string[],
  promptIds: readonly (readonly number[])[],
  reward: RewardSource,
  options: RolloutOptions,
  rng: Rng,
  sampling?: RolloutSampling,
): Promise<PPORolloutBatch> {
  const clock = new PhaseClock();
  const generation = await generateRollout(
    models.policy,
    tokenizer,
    promptIds,
    { maxNewTokens: options.responseLength, temperature: options.temperature, stopAtEos: options.stopAtEos },
    rng,
    sampling,
  );
  const rolloutSeconds = clock.lap();
  const layout = layoutRollout(promptIds, generation, tokenizer.padTokenId);
  const { eosTokenId } = tokenizer;
  const containsEos = generation.tokenIds.map((row, b) => row.slice(0, generation.lengths[b]).includes(eosTokenId));
  const numEosTokens = generation.tokenIds.reduce(
    (total, row, b) => total + row.slice(0, generation.lengths[b]).filter((id) => id === eosTokenId).length,
    0,
  );
  const rawScores = await computeRewardScores(reward, {
    prompts,
    completions: generation.texts,
    finished: containsEos,
  });
  const penalty = options.missingEosPenalty;
  const scores = rawScores.map((score, b) => (penalty !== undefined && !containsEos[b] ? score - penalty : score));
  const scoringSeconds = clock.lap();

  const B = layout.batchSize;
  const referenceLogProbs = tf.tidy(
    () => responseLogProbs(models.reference, rolloutTensors(layout), options.temperature).logProbs,
  );
  await referenceLogProbs.data(); // wait for the backend, so the phase is timed honestly
  const referenceSeconds = clock.lap();
  let targets: Record<
    'oldLogProbs' | 'oldValues' | 'advantages' | 'returns' | 'klSums' | 'nonScoreSums' | 'entropySums',
    tf.Tensor
  >;
  try {
    targets = tf.tidy(() => {
      const inputs = rolloutTensors(layout);
      const policy = responseLogProbs(models.policy, inputs, options.temperature);
      const hidden = models.critic === undefined ? policy.hidden : responseHiddenStates(models.critic, inputs);
      const values = models.valueHead.apply(hidden);
      const computed = computePPOTargets({
        logProbs: policy.logProbs,
        referenceLogProbs,
        values,
        responseMask: inputs.responseMask,
        scores: tf.tensor1d(scores),
        klCoef: options.klCoef,
        klEstimator: options.klEstimator,
        whitenRewards: options.whitenRewards,
        gamma: options.gamma,
        lambda: options.lam,
      });
      // Sequence sums for the objective/* metrics: [B, R] -> [B].
      const negativeLogProbs = tf.where(
        tf.greater(inputs.responseMask, 0),
        tf.neg(policy.logProbs),
        tf.zerosLike(policy.logProbs),
      );
      return {
        oldLogProbs: tf.mul(policy.logProbs, inputs.responseMask),
        oldValues: computed.values,
        advantages: computed.advantages,
        returns: computed.returns,
        klSums: tf.sum(computed.kl, 1),
        nonScoreSums: tf.sum(computed.nonScoreReward, 1),
        entropySums: tf.sum(negativeLogProbs, 1),
      };
    });
  } finally {
    referenceLogProbs.dispose();
  }
  let arrays: Record<keyof typeof targets, Float32Array>;
  try {
    const entries = Object.entries(targets) as [keyof typeof targets, tf.Tensor][];
    const values = await Promise.all(entries.map(([, tensor]) => tensor.data() as Promise<Float32Array>));
    arrays = Object.fromEntries(entries.map(([name], i) => [name, values[i]!])) as Record<
      keyof typeof targets,
      Float32Array
    >;
  } finally {
    tf.dispose(Object.values(targets));
  }
  const policyValueSeconds = clock.lap();

  const mean = (values: ArrayLike<number>): number => Array.from(values).reduce((a, b) => a + b, 0) / values.length;
  const meanNonScore = mean(arrays.nonScoreSums);
  const meanScore = mean(scores);
  const tokens = generation.lengths.reduce((a, b) => a + b, 0);
  return {
    layout,
    prompts,
    completions: generation.texts,
    scores,
    oldLogProbs: arrays.oldLogProbs,
    oldValues: arrays.oldValues,
    advantages: arrays.advantages,
    returns: arrays.returns,
    metrics: {
      [METRIC_NAMES.objectiveKl]: mean(arrays.klSums),
      [METRIC_NAMES.objectiveEntropy]: mean(arrays.entropySums),
      [METRIC_NAMES.objectiveNonScoreReward]: meanNonScore,
      [METRIC_NAMES.objectiveRlhfReward]: meanNonScore + meanScore,
      [METRIC_NAMES.objectiveScores]: meanScore,
      [METRIC_NAMES.valNumEosTokens]: numEosTokens,
      [METRIC_NAMES.klCoefficient]: options.klCoef,
      [PPO_TIMING_METRIC_NAMES.rolloutSeconds]: rolloutSeconds,
      [PPO_TIMING_METRIC_NAMES.scoringSeconds]: scoringSeconds,
      [PPO_TIMING_METRIC_NAMES.referenceSeconds]: referenceSeconds,
      [PPO_TIMING_METRIC_NAMES.policyValueSeconds]: policyValueSeconds,
      [PPO_TIMING_METRIC_NAMES.rolloutTokensPerSecond]: rolloutSeconds > 0 ? tokens / rolloutSeconds : 0,
      [PPO_TIMING_METRIC_NAMES.meanResponseLength]: tokens / B,
    },
  };
}

/** Seconds between successive laps. */
class PhaseClock {
  private last = performance.now();

  lap(): number {
    const now = performance.now();
    const seconds = (now - this.last) / 1000;
    this.last = now;
    return seconds;
  }
}
