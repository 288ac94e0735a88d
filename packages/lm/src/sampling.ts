import { InvalidArgumentError, requireInteger, requireNumber } from '@dpo-ts/core';
import type { Rng } from '@dpo-ts/core/training';

/** How the next token is drawn from the model's logits. */
export interface SamplingOptions {
  /**
   * Divide the logits by this before the softmax; lower is sharper. 0 means greedy decoding
   * (argmax, ties to the lowest id; `topK`, `topP` and the generator are then unused).
   * @defaultValue 1
   */
  readonly temperature?: number;
  /** Keep only the k most likely tokens (ties to the lower id); 0 turns it off. @defaultValue 0 */
  readonly topK?: number;
  /**
   * Nucleus sampling: keep the smallest set of most likely tokens whose probability reaches
   * `topP` (after `topK`), always at least the most likely one; 1 turns it off.
   * @defaultValue 1
   */
  readonly topP?: number;
}

/** {@link SamplingOptions} with defaults applied and validated. */
export type ResolvedSamplingOptions = Required<SamplingOptions>;

/** Applies defaults and validates: temperature >= 0, topK a non-negative integer, topP in (0, 1]. */
export function resolveSamplingOptions(options: SamplingOptions = {}): ResolvedSamplingOptions {
  return {
    temperature: requireNumber('options.temperature', options.temperature ?? 1, { min: 0 }),
    topK: requireInteger('options.topK', options.topK ?? 0, { min: 0 }),
    topP: requireNumber('options.topP', options.topP ?? 1, { min: 0, max: 1, exclusiveMin: true }),
  };
}

/** A drawn token and its log-probability. */
export interface SampledToken {
  /** The drawn token id, in [0, vocabSize). */
  readonly token: number;
  /**
   * `log softmax(logits / temperature)[token]` (temperature 1 when greedy), before top-k/top-p
   * filtering: the policy's log-probability that a scoring pass with the same temperature
   * recomputes, as TRL's PPO does. Float64.
   */
  readonly logProb: number;
}

/**
 * Draws one token from a row of logits: temperature, then top-k, then top-p, then a draw from
 * the renormalised kept set with `rng.uniform()` (tokens visited from most to least likely,
 * ties by id, so the result depends only on the logits and the generator state). Greedy when
 * `temperature` is 0. Float64 arithmetic throughout.
 *
 * @see Holtzman et al. 2019, "The Curious Case of Neural Text Degeneration", Sec. 3.1 (top-p);
 *   Fan, Lewis & Dauphin 2018, "Hierarchical Neural Story Generation" (top-k).
 * @param logits - one row, `[V]`.
 */
export function sampleToken(logits: ArrayLike<number>, options: ResolvedSamplingOptions, rng: Rng): SampledToken {
  const { temperature, topK, topP } = options;
  const V = logits.length;
  if (V === 0) throw new InvalidArgumentError('logits', 'a non-empty row', logits);
  const scale = temperature === 0 ? 1 : 1 / temperature;
  let max = -Infinity;
  let argmax = 0;
  for (let i = 0; i < V; i++) {
    const value = logits[i]!;
    if (Number.isNaN(value)) throw new InvalidArgumentError(`logits[${i}]`, 'a number', value);
    if (value > max) {
      max = value;
      argmax = i;
    }
  }
  // log-sum-exp of logits * scale, shifted by the maximum.
  let total = 0;
  for (let i = 0; i < V; i++) total += Math.exp((logits[i]! - max) * scale);
  const logNormaliser = Math.log(total);
  const logProbOf = (token: number): number => (logits[token]! - max) * scale - logNormaliser;
  if (temperature === 0) return { token: argmax, logProb: logProbOf(argmax) };

  // Most likely first; ties by id.
  const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => logits[b]! - logits[a]! || a - b);
  let kept = topK > 0 && topK < V ? order.slice(0, topK) : order;
  const weights = kept.map((token) => Math.exp((logits[token]! - max) * scale));
  if (topP < 1) {
    const keptTotal = weights.reduce((a, b) => a + b, 0);
    // The relative slack makes a set that reaches p exactly (0.5 + 0.3 = 0.8) count despite rounding.
    const target = topP * keptTotal * (1 - 1e-9);
    let cumulative = 0;
    let count = 0;
    while (count < kept.length && cumulative < target) cumulative += weights[count++]!;
    kept = kept.slice(0, Math.max(count, 1));
    weights.length = kept.length;
  }
  const keptTotal = weights.reduce((a, b) => a + b, 0);
  const u = rng.uniform() * keptTotal;
  let cumulative = 0;
  for (let i = 0; i < kept.length; i++) {
    cumulative += weights[i]!;
    if (u < cumulative) return { token: kept[i]!, logProb: logProbOf(kept[i]!) };
  }
  // Rounding can leave u a hair above the last cumulative sum.
  const last = kept[kept.length - 1]!;
  return { token: last, logProb: logProbOf(last) };
}
