import { InvalidArgumentError, requireInteger } from '@dpo-ts/core';

/**
 * How GRPO scales the group-centred rewards (TRL's `scale_rewards`):
 * - `'group'`: divide by the standard deviation of the prompt's own group (DeepSeekMath Eq. 3);
 * - `'batch'`: divide by the standard deviation of every reward in the batch (more robust when a
 *   group's rewards barely differ);
 * - `'none'`: do not scale (Dr. GRPO, Liu et al. 2025, which argues the std biases the update).
 */
export type ScaleRewards = 'group' | 'batch' | 'none';

/** Every {@link ScaleRewards}. */
export const SCALE_REWARDS: readonly ScaleRewards[] = Object.freeze(['group', 'batch', 'none']);

/** Added to a standard deviation before dividing by it, as TRL does (`std + 1e-4`). */
export const ADVANTAGE_STD_EPSILON = 1e-4;

/** Advantages of a batch of groups plus the group statistics TRL logs. Plain arrays. */
export interface GroupAdvantages {
  /** One advantage per completion, in the rewards' order. */
  readonly advantages: number[];
  /** Mean over groups of each group's (unbiased) standard deviation of the rewards (TRL's `reward_std`). */
  readonly meanGroupStd: number;
  /** Fraction of groups whose rewards are all equal (TRL's `frac_reward_zero_std`): they teach nothing. */
  readonly fractionZeroStd: number;
}

/**
 * Checks a batch of rewards laid out as consecutive groups of `groupSize` completions of the same
 * prompt (`[prompt 0: g0 .. g(G-1), prompt 1: ...]`) and returns the groups.
 */
function groups(rewards: readonly number[], groupSize: number): number[][] {
  requireInteger('groupSize', groupSize, { min: 2 });
  if (rewards.length === 0 || rewards.length % groupSize !== 0) {
    throw new InvalidArgumentError(
      'rewards',
      `a non-empty multiple of groupSize = ${groupSize} numbers`,
      rewards.length,
    );
  }
  const bad = rewards.findIndex((r) => typeof r !== 'number' || !Number.isFinite(r));
  if (bad >= 0) throw new InvalidArgumentError(`rewards[${bad}]`, 'a finite number', rewards[bad]);
  const out: number[][] = [];
  for (let start = 0; start < rewards.length; start += groupSize) out.push(rewards.slice(start, start + groupSize));
  return out;
}

const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

/** Unbiased standard deviation (n - 1 in the denominator), torch's `std` default that TRL uses. */
export function unbiasedStd(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  return Math.sqrt(values.reduce((total, v) => total + (v - m) ** 2, 0) / (values.length - 1));
}

function groupStatistics(grouped: readonly number[][]): Pick<GroupAdvantages, 'meanGroupStd' | 'fractionZeroStd'> {
  const stds = grouped.map(unbiasedStd);
  return {
    meanGroupStd: mean(stds),
    fractionZeroStd: grouped.filter((group) => group.every((r) => r === group[0])).length / grouped.length,
  };
}

/**
 * GRPO's group-relative advantage: each completion's reward minus the mean reward of the
 * completions of the same prompt, divided by a standard deviation chosen by `scaleRewards`:
 *
 *   A_i = (r_i - mean(r_group)) / (std(r_group) + 1e-4)     ('group', DeepSeekMath Eq. 3)
 *   A_i = (r_i - mean(r_group)) / (std(r_batch) + 1e-4)     ('batch')
 *   A_i =  r_i - mean(r_group)                              ('none', Dr. GRPO)
 *
 * std is unbiased (n - 1), as torch's default in TRL. The same advantage applies to every token
 * of the completion (outcome supervision).
 *
 * @see Shao et al. 2024, "DeepSeekMath", Sec. 4.1.2 and Eq. 3; Liu et al. 2025, "Understanding
 *   R1-Zero-Like Training" (Dr. GRPO); TRL `GRPOTrainer._generate_and_score_completions`.
 * @param rewards - `[numPrompts * groupSize]`, groups consecutive.
 * @param groupSize - G, completions per prompt (TRL's `num_generations`), >= 2.
 */
export function grpoAdvantages(
  rewards: readonly number[],
  groupSize: number,
  scaleRewards: ScaleRewards,
): GroupAdvantages {
  const grouped = groups(rewards, groupSize);
  if (!SCALE_REWARDS.includes(scaleRewards))
    throw new InvalidArgumentError('scaleRewards', `one of ${SCALE_REWARDS.join(', ')}`, scaleRewards);
  const batchStd = unbiasedStd(rewards);
  const advantages = grouped.flatMap((group) => {
    const m = mean(group);
    const scale =
      scaleRewards === 'group'
        ? unbiasedStd(group) + ADVANTAGE_STD_EPSILON
        : scaleRewards === 'batch'
          ? batchStd + ADVANTAGE_STD_EPSILON
          : 1;
    return group.map((r) => (r - m) / scale);
  });
  return { advantages, ...groupStatistics(grouped) };
}

/**
 * RLOO's leave-one-out advantage: each completion's reward minus the mean reward of the other
 * G - 1 completions of the same prompt, an unbiased baseline that needs no critic:
 *
 *   A_i = r_i - (sum_j r_j - r_i) / (G - 1)  =  G / (G - 1) * (r_i - mean(r_group))
 *
 * With `normalize` (TRL's `normalize_advantages`), the advantages are then standardised over
 * the whole batch: (A - mean(A)) / (std(A) + 1e-4).
 *
 * @see Ahmadian et al. 2024, "Back to Basics: Revisiting REINFORCE Style Optimization for
 *   Learning from Human Feedback in LLMs", Eq. 5 (after Kool et al. 2019); TRL `RLOOTrainer`.
 * @param rewards - `[numPrompts * groupSize]`, groups consecutive (for RLOO, already minus the KL penalty).
 * @param groupSize - G (TRL's `num_generations`), >= 2.
 */
export function rlooAdvantages(rewards: readonly number[], groupSize: number, normalize = false): GroupAdvantages {
  const grouped = groups(rewards, groupSize);
  let advantages = grouped.flatMap((group) => {
    const sum = group.reduce((a, b) => a + b, 0);
    return group.map((r) => r - (sum - r) / (groupSize - 1));
  });
  if (normalize) {
    const m = mean(advantages);
    const std = unbiasedStd(advantages) + ADVANTAGE_STD_EPSILON;
    advantages = advantages.map((a) => (a - m) / std);
  }
  return { advantages, ...groupStatistics(grouped) };
}
