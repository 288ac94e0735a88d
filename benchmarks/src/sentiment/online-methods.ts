import { METRIC_NAMES } from '@dpo-ts/core';
import type { GPT, Tokenizer } from '@dpo-ts/lm';
import { GROUP_METRIC_NAMES, GRPOTrainer, OnlineDPOTrainer, RLOOTrainer, type RewardSource } from '@dpo-ts/rlhf';
import { secondsSince } from './compute-cost.js';
import { finalMetrics, type MethodContext, type TrainedPolicy } from './frontier-point.js';
import { progressTo } from './log-stream.js';

/** What an on-policy method trains against: its prompts, the reward (one labeler query a call) and its length. */
export interface OnPolicyRun {
  /** Progress-line label, e.g. `RLOO lr 0.0001, KL coef 0.1`. */
  readonly label: string;
  /** Training prompts (the seed's training-split openings). */
  readonly prompts: readonly string[];
  /** The labeler: one query per sampled completion. */
  readonly reward: RewardSource;
  /** Generation batches (RLOO/GRPO) or optimiser steps (online DPO). */
  readonly steps: number;
  /** Peak AdamW learning rate: no warm-up, then core's default linear decay to 0. */
  readonly learningRate: number;
  /** RLOO/GRPO's KL coefficient beta, online DPO's DPO beta. */
  readonly beta: number;
  /** Longest completion, tokens (EOS included). */
  readonly maxNewTokens: number;
}

const GROUP_METRICS = [
  GROUP_METRIC_NAMES.reward,
  GROUP_METRIC_NAMES.rewardStd,
  GROUP_METRIC_NAMES.kl,
  METRIC_NAMES.loss,
  GROUP_METRIC_NAMES.meanLength,
];

const ONLINE_DPO_METRICS = [
  METRIC_NAMES.loss,
  METRIC_NAMES.objectiveScores,
  METRIC_NAMES.objectiveKl,
  METRIC_NAMES.rewardsAccuracies,
  METRIC_NAMES.rewardsMargins,
];

/**
 * RLOO or GRPO from the SFT model (@dpo-ts/rlhf's trainers, TRL semantics) against `reward`:
 * `steps` generation batches of `completionsPerStep` completions, `numGenerations` per prompt,
 * so the reward is queried `steps x completionsPerStep` times (the label budget). The SFT model is
 * the frozen reference of the KL term (`beta`); one optimiser pass per batch (TRL's default), no
 * learning-rate warm-up, temperature 1 (the KL the frontier measures).
 *
 * @returns the trained policy (the caller disposes it), its cost and TRL's final metrics.
 */
export async function trainGroupPolicy(
  context: MethodContext<GPT, Tokenizer>,
  kind: 'rloo' | 'grpo',
  run: OnPolicyRun,
  group: { readonly numGenerations: number; readonly completionsPerStep: number },
): Promise<TrainedPolicy<GPT>> {
  const started = performance.now();
  const policy = context.base.clone();
  const options = {
    model: policy,
    referenceModel: context.base,
    tokenizer: context.tokenizer,
    trainDataset: run.prompts.map((prompt) => ({ prompt })),
    reward: run.reward,
    config: {
      totalSteps: run.steps,
      perDeviceTrainBatchSize: group.completionsPerStep,
      numGenerations: group.numGenerations,
      beta: run.beta,
      learningRate: run.learningRate,
      maxCompletionLength: run.maxNewTokens,
      temperature: 1,
      seed: context.seed,
    },
  };
  let trainer: RLOOTrainer | GRPOTrainer | undefined;
  try {
    trainer = kind === 'rloo' ? await RLOOTrainer.create(options) : await GRPOTrainer.create(options);
    const result = await trainer.train({
      progress: progressTo(context.log, run.label, GROUP_METRICS, Math.max(1, Math.ceil(run.steps / 4))),
      ...(context.signal !== undefined ? { signal: context.signal } : {}),
    });
    const completions = run.steps * group.completionsPerStep;
    return {
      policy,
      cost: {
        wallSeconds: secondsSince(started),
        // Per batch: old-policy and reference forwards of every completion, then one forward + backward.
        forwardSequences: 3 * completions,
        backwardSequences: completions,
        sampledCompletions: completions,
        sampledTokens: sampledTokens(result.history, GROUP_METRIC_NAMES.meanLength, group.completionsPerStep),
      },
      details: finalMetrics(result.history, [...GROUP_METRICS, GROUP_METRIC_NAMES.entropy]),
    };
  } catch (error) {
    policy.dispose();
    throw error;
  } finally {
    trainer?.dispose();
  }
}

/**
 * Online DPO from the SFT model (@dpo-ts/rlhf's `OnlineDPOTrainer`, TRL semantics): each step
 * samples two completions of `pairsPerStep` prompts from the current policy, the reward labels
 * each pair (two queries a pair, so `steps x pairsPerStep x 2` queries: the label budget), and
 * core's sigmoid loss at `beta` against the SFT model as reference. Temperature 1, no warm-up.
 *
 * @returns the trained policy (the caller disposes it), its cost and TRL's final metrics.
 */
export async function trainOnlineDPOPolicy(
  context: MethodContext<GPT, Tokenizer>,
  run: OnPolicyRun,
  pairsPerStep: number,
): Promise<TrainedPolicy<GPT>> {
  const started = performance.now();
  const policy = context.base.clone();
  let trainer: OnlineDPOTrainer | undefined;
  try {
    trainer = await OnlineDPOTrainer.create({
      model: policy,
      referenceModel: context.base,
      tokenizer: context.tokenizer,
      trainDataset: run.prompts.map((prompt) => ({ prompt })),
      reward: run.reward,
      config: {
        totalSteps: run.steps,
        perDeviceTrainBatchSize: pairsPerStep,
        beta: run.beta,
        lossType: 'sigmoid',
        learningRate: run.learningRate,
        maxNewTokens: run.maxNewTokens,
        temperature: 1,
        seed: context.seed,
      },
    });
    const result = await trainer.train({
      progress: progressTo(context.log, run.label, ONLINE_DPO_METRICS, Math.max(1, Math.ceil(run.steps / 4))),
      ...(context.signal !== undefined ? { signal: context.signal } : {}),
    });
    const completions = 2 * run.steps * pairsPerStep;
    return {
      policy,
      cost: {
        wallSeconds: secondsSince(started),
        // Per step: the reference's forward of both completions, then the policy's forward + backward.
        forwardSequences: 2 * completions,
        backwardSequences: completions,
        sampledCompletions: completions,
        sampledTokens: completions * run.maxNewTokens,
      },
      details: finalMetrics(result.history, [...ONLINE_DPO_METRICS, METRIC_NAMES.objectiveEntropy]),
    };
  } catch (error) {
    policy.dispose();
    throw error;
  } finally {
    trainer?.dispose();
  }
}

/** Tokens sampled over a run from each step's mean completion length (EOS included). */
function sampledTokens(
  history: readonly { readonly metrics: Readonly<Record<string, number>> }[],
  meanLengthKey: string,
  completionsPerStep: number,
): number {
  return Math.round(history.reduce((sum, entry) => sum + (entry.metrics[meanLengthKey] ?? 0) * completionsPerStep, 0));
}
