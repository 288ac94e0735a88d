import type { Metrics } from '@dpo-ts/core';
import { rlooAdvantages } from './group-advantages.js';
import { GROUP_METRIC_NAMES } from './group-metrics.js';
import type { GroupRollout } from './group-rollout.js';
import { GroupTrainerBase } from './group-trainer-base.js';
import type { GroupLossSettings } from './group-update-task.js';
import type { GroupTrainerOptions } from './group-trainer-options.js';
import { type ResolvedRLOOConfig, type RLOOConfig, resolveRLOOConfig } from './rloo-config.js';

/**
 * REINFORCE Leave-One-Out for language models, TRL's `RLOOTrainer` semantics: G completions per
 * prompt, each completion one action. The KL to the frozen reference enters the reward,
 *
 *   r'_i = r_i - β Σ_t (log π_old(y_t) - log π_ref(y_t)),
 *
 * the baseline of each completion is the mean r' of the other G - 1 (unbiased, no critic),
 * A_i = r'_i - mean_{j≠i} r'_j (optionally standardised over the batch: `normalizeAdvantages`),
 * and the loss is the sequence-level clipped ratio -min(ρ A, clip(ρ) A) with
 * ρ = π_θ(y) / π_old(y), averaged over completions. With `numIterations` 1 (the default) this is
 * REINFORCE with the leave-one-out baseline.
 *
 * @example
 * ```ts
 * import { loadPromptJsonl } from '@dpo-ts/core/data';
 * import { selectBackend } from '@dpo-ts/core/backend';
 * import { SFTTrainer, saveLanguageModel } from '@dpo-ts/lm';
 * import { RewardTrainer } from '@dpo-ts/reward';
 * import { RLOOTrainer, rewardModelScorer } from '@dpo-ts/rlhf';
 *
 * await selectBackend();
 * const { model, tokenizer } = await SFTTrainer.load('runs/sft/model'); // the policy to improve
 * const { model: rewardModel } = await RewardTrainer.load('runs/rm/model'); // a Bradley-Terry reward model
 * const trainer = await RLOOTrainer.create({
 *   model, // the policy; with beta > 0 (default 0.05) a frozen clone is the reference
 *   tokenizer,
 *   trainDataset: await loadPromptJsonl('prompts.jsonl'), // { prompt } per line
 *   evalDataset: await loadPromptJsonl('held-out-prompts.jsonl'),
 *   reward: rewardModelScorer(rewardModel, tokenizer),
 *   config: { totalSteps: 100, numGenerations: 4, perDeviceTrainBatchSize: 16, maxCompletionLength: 32, learningRate: 1e-5 },
 * });
 * await trainer.train({ checkpoint: { dir: 'runs/rloo', resume: 'auto' } });
 * const metrics = await trainer.evaluate(); // eval_reward, eval_reward_std, eval_completions/mean_length, ...
 * const { config, optimizer } = trainer; // no save(dir) yet: lm's saveLanguageModel writes what DPOTrainer.load reads
 * await saveLanguageModel('runs/rloo/model', { kind: 'rloo', model, tokenizer, trainerConfig: config, step: optimizer.step });
 * trainer.dispose();
 * model.dispose();
 * rewardModel.dispose();
 * ```
 *
 * @see Ahmadian et al. 2024, "Back to Basics: Revisiting REINFORCE Style Optimization for
 *   Learning from Human Feedback in LLMs"; Kool et al. 2019 ("Buy 4 REINFORCE samples, get a
 *   baseline for free!"); TRL `RLOOTrainer`, `RLOOConfig`.
 */
export class RLOOTrainer extends GroupTrainerBase<ResolvedRLOOConfig> {
  protected readonly kind = 'rloo';

  /**
   * Validates the options and the config (once) and builds the trainer.
   * @throws InvalidArgumentError naming the option or config field, what it accepts and what it got.
   */
  static async create(options: GroupTrainerOptions<RLOOConfig>): Promise<RLOOTrainer> {
    return new RLOOTrainer(options, resolveRLOOConfig(options.config));
  }

  protected advantagesOf(rollout: GroupRollout): {
    /** RLOO's advantages, one per completion in row order: its KL-penalised reward minus the mean of the other G - 1 in its group, `[N]`. */
    advantages: number[];
    /** `reward_std`, `frac_reward_zero_std` and, with a reference, `kl` (mean sequence KL). */
    metrics: Metrics;
  } {
    const G = this.config.numGenerations;
    const T = rollout.layout.responseLength;
    const { beta } = this.config;
    // Sequence KL estimate Σ_t (log π_old - log π_ref) per completion (k1 summed, as TRL's RLOO).
    const kl = rollout.rewards.map((_, row) => {
      if (rollout.referenceLogProbs === undefined) return 0;
      let sum = 0;
      for (let t = 0; t < T; t++) sum += rollout.oldLogProbs[row * T + t]! - rollout.referenceLogProbs[row * T + t]!;
      return sum;
    });
    const penalised = rollout.rewards.map((reward, i) => reward - beta * kl[i]!);
    const { advantages } = rlooAdvantages(penalised, G, this.config.normalizeAdvantages);
    const raw = rlooAdvantages(rollout.rewards, G);
    return {
      advantages,
      metrics: {
        [GROUP_METRIC_NAMES.rewardStd]: raw.meanGroupStd,
        [GROUP_METRIC_NAMES.fracRewardZeroStd]: raw.fractionZeroStd,
        ...(rollout.referenceLogProbs === undefined
          ? {}
          : { [GROUP_METRIC_NAMES.kl]: kl.reduce((a, b) => a + b, 0) / kl.length }),
      },
    };
  }

  protected lossSettings(): GroupLossSettings {
    return { kind: 'rloo', epsilon: this.config.epsilon, epsilonHigh: this.config.epsilonHigh };
  }
}
