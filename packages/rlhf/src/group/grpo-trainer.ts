import type { Metrics } from '@dpo-ts/core';
import { grpoAdvantages } from './group-advantages.js';
import { GROUP_METRIC_NAMES } from './group-metrics.js';
import type { GroupRollout } from './group-rollout.js';
import { GroupTrainerBase } from './group-trainer-base.js';
import type { GroupLossSettings } from './group-update-task.js';
import type { GroupTrainerOptions } from './group-trainer-options.js';
import { type GRPOConfig, type ResolvedGRPOConfig, resolveGRPOConfig } from './grpo-config.js';

/**
 * Group Relative Policy Optimization for language models, TRL's `GRPOTrainer` semantics: for
 * each prompt G completions, advantages A_i = (r_i - mean(r_group)) / (std + 1e-4) (the std of
 * the group, of the batch, or none: `scaleRewards`), the same A for every token, then the
 * clipped token-level objective with a β-weighted k3 KL to the frozen reference in the loss
 * (not in the reward), aggregated by `lossType`. No critic.
 *
 * With `numIterations` 1 (the default) the ratio is 1 and the clip never binds; with more,
 * later passes reuse the batch off-policy and the clip keeps them close (`clip_ratio/*`).
 *
 * @example
 * ```ts
 * import { loadPromptJsonl } from '@dpo-ts/core/data';
 * import { selectBackend } from '@dpo-ts/core/backend';
 * import { loadBaseModel, saveLanguageModel } from '@dpo-ts/lm';
 * import { GRPOTrainer } from '@dpo-ts/rlhf';
 *
 * await selectBackend();
 * const { model, tokenizer } = await loadBaseModel(); // or an SFT model: SFTTrainer.load(dir)
 * const trainer = await GRPOTrainer.create({
 *   model, // the policy; with beta > 0 a frozen clone is the reference
 *   tokenizer,
 *   trainDataset: await loadPromptJsonl('prompts.jsonl'), // { prompt } per line
 *   evalDataset: await loadPromptJsonl('held-out-prompts.jsonl'),
 *   reward: (_prompt, completion) => (completion.includes('!') ? 1 : 0), // or rewardModelScorer(rewardModel, tokenizer)
 *   config: { totalSteps: 100, numGenerations: 8, perDeviceTrainBatchSize: 16, maxCompletionLength: 24, learningRate: 1e-5 },
 * });
 * await trainer.train({ checkpoint: { dir: 'runs/grpo', resume: 'auto' } });
 * const metrics = await trainer.evaluate(); // eval_reward, eval_reward_std, eval_completions/mean_length, ...
 * const { config, optimizer } = trainer; // no save(dir) yet: lm's saveLanguageModel writes what DPOTrainer.load reads
 * await saveLanguageModel('runs/grpo/model', { kind: 'grpo', model, tokenizer, trainerConfig: config, step: optimizer.step });
 * trainer.dispose();
 * model.dispose();
 * ```
 *
 * @see Shao et al. 2024, "DeepSeekMath: Pushing the Limits of Mathematical Reasoning in Open
 *   Language Models", Sec. 4 (Eq. 3); TRL `GRPOTrainer`, `GRPOConfig`.
 */
export class GRPOTrainer extends GroupTrainerBase<ResolvedGRPOConfig> {
  protected readonly kind = 'grpo';

  /**
   * Validates the options and the config (once) and builds the trainer.
   * @throws InvalidArgumentError naming the option or config field, what it accepts and what it got.
   */
  static async create(options: GroupTrainerOptions<GRPOConfig>): Promise<GRPOTrainer> {
    return new GRPOTrainer(options, resolveGRPOConfig(options.config));
  }

  protected advantagesOf(rollout: GroupRollout): {
    /** GRPO's advantages, one per completion in row order: (r - group mean), divided by the group's or the batch's std per `scaleRewards`, `[N]`. */
    advantages: number[];
    /** `reward_std` and `frac_reward_zero_std` of the step's groups. */
    metrics: Metrics;
  } {
    const { advantages, meanGroupStd, fractionZeroStd } = grpoAdvantages(
      rollout.rewards,
      this.config.numGenerations,
      this.config.scaleRewards,
    );
    return {
      advantages,
      metrics: {
        [GROUP_METRIC_NAMES.rewardStd]: meanGroupStd,
        [GROUP_METRIC_NAMES.fracRewardZeroStd]: fractionZeroStd,
      },
    };
  }

  protected lossSettings(): GroupLossSettings {
    const { epsilon, epsilonHigh, beta, lossType } = this.config;
    return { kind: 'grpo', epsilon, epsilonHigh, beta, lossType };
  }
}
