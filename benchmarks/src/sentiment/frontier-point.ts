import type { ComputeCost } from './compute-cost.js';

/** The method families of the frontier (the DPO paper's Fig. 2 legend, plus best-of-N). */
export const METHOD_FAMILIES = [
  'SFT (reference)',
  'DPO',
  'PPO (ground-truth reward)',
  'PPO (reward model)',
  'Preferred-FT',
  'Unlikelihood',
  'Best-of-N (reward model)',
  'Best-of-N (ground-truth oracle)',
] as const;

/** One of {@link METHOD_FAMILIES}. */
export type MethodFamily = (typeof METHOD_FAMILIES)[number];

/** Shared inputs a method used, whose cost is reported once (not in the method's own cost). */
export type SharedInput = 'base model' | 'preference pairs' | 'reward model';

/** One method at one setting and one seed: where it landed and what it spent. */
export interface FrontierPoint {
  readonly family: MethodFamily;
  /** The setting in words, e.g. `beta 0.1`, `N 16`. */
  readonly setting: string;
  /** The setting's number (beta, KL coefficient, alpha, N), or null for the reference. */
  readonly parameter: number | null;
  readonly seed: number;
  /** Mean ground-truth reward on held-out prompts, and its standard error over prompts. */
  readonly reward: number;
  readonly rewardStandardError: number;
  /** KL(policy || SFT) per completion, nats, and its standard error over samples (0 for a bound). */
  readonly kl: number;
  readonly klStandardError: number;
  /** `estimate`: mean log-ratio over the policy's samples; `bound`: best-of-N's log N - (N-1)/N. */
  readonly klSource: 'estimate' | 'bound' | 'reference';
  readonly finishedRate: number;
  readonly meanLength: number;
  /** The method's own compute (training, sampling, scoring), evaluation excluded. */
  readonly cost: ComputeCost;
  readonly uses: readonly SharedInput[];
  /** Final training metrics (TRL's names) and anything else worth keeping. */
  readonly details: Readonly<Record<string, number>>;
  readonly examples: readonly { readonly prompt: string; readonly completion: string; readonly reward: number }[];
}

/** A policy a method trained (the caller evaluates and disposes it), its cost and final metrics. */
export interface TrainedPolicy<M = unknown> {
  readonly policy: M;
  readonly cost: ComputeCost;
  readonly details: Readonly<Record<string, number>>;
}

/** Everything a method needs from its seed's run. */
export interface MethodContext<M, T> {
  /** The SFT model: the starting point and the reference. Not modified. */
  readonly base: M;
  readonly tokenizer: T;
  readonly seed: number;
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal | undefined;
}

/** The last value of each metric over a training history (metrics a step did not report are skipped). */
export function finalMetrics(
  history: readonly { readonly metrics: Readonly<Record<string, number>> }[],
  keys: readonly string[],
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of keys) {
    for (let i = history.length - 1; i >= 0; i--) {
      const value = history[i]!.metrics[key];
      if (value !== undefined) {
        out[key] = value;
        break;
      }
    }
  }
  return out;
}
