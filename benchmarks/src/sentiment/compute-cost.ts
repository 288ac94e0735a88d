/**
 * What a method spent, counted the same way for every method. Sequences, not tokens, for
 * forward and backward passes: every row is at most the model's context long, and a forward
 * plus backward pass costs roughly 3 forward passes. Counts are derived from each trainer's
 * settings (rows per step times steps, plus the fixed passes each algorithm makes), sampled
 * tokens from the samples themselves. Evaluation (the frontier measurement) is not counted.
 */
export interface ComputeCost {
  /** Wall-clock seconds of the method's own work (training, sampling, scoring). */
  readonly wallSeconds: number;
  /** Sequences run through a forward pass of any model (policy, reference, reward model). */
  readonly forwardSequences: number;
  /** Sequences back-propagated through. */
  readonly backwardSequences: number;
  /** Completions sampled. */
  readonly sampledCompletions: number;
  /** Tokens sampled, EOS included. */
  readonly sampledTokens: number;
}

/** Nothing spent. */
export const ZERO_COST: ComputeCost = Object.freeze({
  wallSeconds: 0,
  forwardSequences: 0,
  backwardSequences: 0,
  sampledCompletions: 0,
  sampledTokens: 0,
});

/** The sum of several costs. */
export function addCosts(...costs: readonly ComputeCost[]): ComputeCost {
  return costs.reduce(
    (total, cost) => ({
      wallSeconds: total.wallSeconds + cost.wallSeconds,
      forwardSequences: total.forwardSequences + cost.forwardSequences,
      backwardSequences: total.backwardSequences + cost.backwardSequences,
      sampledCompletions: total.sampledCompletions + cost.sampledCompletions,
      sampledTokens: total.sampledTokens + cost.sampledTokens,
    }),
    ZERO_COST,
  );
}

/** Seconds since `started` (a `performance.now()` reading). */
export function secondsSince(started: number): number {
  return (performance.now() - started) / 1000;
}

/**
 * Floating-point operations of a cost, estimated the usual way for transformers (Kaplan et al.
 * 2020, Sec. 2.1): 2 x parameters per token of a forward pass, 4 x parameters more per token
 * back-propagated, and one forward token per sampled token (incremental decoding):
 *
 *   FLOPs ~= parameters * (2 * forwardSequences * tokensPerSequence + 4 * backwardSequences * tokensPerSequence
 *            + 2 * sampledTokens)
 *
 * Attention's own term is left out (small at this context length).
 * @param tokensPerSequence - mean tokens of a trained or scored row (prompt + completion).
 */
export function estimateFlops(cost: ComputeCost, parameters: number, tokensPerSequence: number): number {
  return (
    parameters *
    (2 * cost.forwardSequences * tokensPerSequence +
      4 * cost.backwardSequences * tokensPerSequence +
      2 * cost.sampledTokens)
  );
}
