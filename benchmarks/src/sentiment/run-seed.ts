import { formatDuration, mixSeeds, trainEvalSplit } from '@dpo-ts/core';
import type { GPT, Tokenizer } from '@dpo-ts/lm';
import { rewardModelScorer, type RewardSource } from '@dpo-ts/rlhf';
import { throwIfAborted } from './base-model.js';
import { runBestOfN } from './best-of-n-method.js';
import { ZERO_COST, type ComputeCost } from './compute-cost.js';
import { trainDPOPolicy } from './dpo-method.js';
import { evaluatePolicy } from './evaluate-policy.js';
import type { SentimentFrontierConfig } from './frontier-config.js';
import type { FrontierData } from './frontier-data.js';
import type { FrontierPoint, MethodContext, MethodFamily, SharedInput, TrainedPolicy } from './frontier-point.js';
import { trainPPOPolicy } from './ppo-method.js';
import { sampleGroundTruthPairs, type GroundTruthReward } from './preference-pairs.js';
import { trainPreferredFTPolicy } from './preferred-ft-method.js';
import { trainFrontierRewardModel } from './reward-model.js';
import { mean } from './statistics.js';
import { trainUnlikelihoodPolicy } from './unlikelihood-method.js';

/** What one seed's run measured besides the frontier points. */
export interface SeedRun {
  readonly seed: number;
  readonly points: readonly FrontierPoint[];
  readonly pairs: {
    readonly train: number;
    readonly heldOut: number;
    readonly skippedPrompts: number;
    /** Mean ground-truth reward of all SFT samples on the pair prompts. */
    readonly sampleMeanReward: number;
    /** Mean chosen minus rejected ground-truth reward. */
    readonly meanRewardGap: number;
    readonly finishedRate: number;
    readonly cost: ComputeCost;
  };
  readonly rewardModel: {
    readonly heldOutAccuracyBefore: number;
    readonly heldOutAccuracy: number;
    readonly heldOutPairs: number;
    /** Pearson correlation of reward-model and ground-truth scores over the best-of-N samples. */
    readonly groundTruthCorrelation: number;
    readonly cost: ComputeCost;
  };
  readonly wallSeconds: number;
}

/** What every seed shares: the base model, the data, the ground truth. */
export interface FrontierShared {
  readonly base: GPT;
  readonly tokenizer: Tokenizer;
  readonly data: FrontierData;
  readonly config: SentimentFrontierConfig;
  readonly groundTruth: GroundTruthReward;
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal | undefined;
}

/** How many frontier points (trained or sampled settings) one seed produces under `config`. */
export function pointsPerSeed(config: SentimentFrontierConfig): number {
  return (
    1 +
    2 * config.bestOfN.length +
    config.dpo.betas.length +
    config.ppo.groundTruthKlCoefs.length +
    config.ppo.rewardModelKlCoefs.length +
    (config.preferredFT === null ? 0 : 1) +
    config.unlikelihood.alphas.length
  );
}

/**
 * One seed of the benchmark, in order: preference pairs from SFT samples labelled by the ground
 * truth (90/10 split, or the configured fraction), the reward model, then every method from the
 * same SFT model on the same pairs / prompts, each measured on the held-out prompts with the
 * same sampling seed (reward and KL), then disposed. `onPoint` reports progress.
 */
export async function runFrontierSeed(
  shared: FrontierShared,
  seed: number,
  onPoint: (point: FrontierPoint) => void,
): Promise<SeedRun> {
  const started = performance.now();
  const { base, tokenizer, data, config, groundTruth, log, signal } = shared;
  const points: FrontierPoint[] = [];
  const evalSeed = mixSeeds(seed, 14);
  const context: MethodContext<GPT, Tokenizer> = {
    base,
    tokenizer,
    seed: mixSeeds(seed, 13),
    log: (line) => log(`[seed ${seed}] ${line}`),
    signal,
  };
  const maxNewTokens = config.data.maxNewTokens;

  const record = async (
    family: MethodFamily,
    setting: string,
    parameter: number | null,
    uses: readonly SharedInput[],
    trained: TrainedPolicy<GPT> | undefined,
  ): Promise<void> => {
    const policy = trained?.policy ?? base;
    try {
      const evaluation = await evaluatePolicy({
        policy,
        reference: base,
        tokenizer,
        prompts: data.evalPrompts,
        reward: groundTruth,
        maxNewTokens,
        seed: evalSeed,
      });
      const { wallSeconds: _measuring, examples, ...measured } = evaluation;
      const point: FrontierPoint = {
        family,
        setting,
        parameter,
        seed,
        ...measured,
        klSource: trained === undefined ? 'reference' : 'estimate',
        cost: trained?.cost ?? ZERO_COST,
        uses,
        details: trained?.details ?? {},
        examples,
      };
      points.push(point);
      onPoint(point);
    } finally {
      if (policy !== base) policy.dispose();
    }
    throwIfAborted(signal);
  };

  // Shared data: pairs labelled by the ground truth, then the reward model trained on them.
  context.log(`sampling ${config.data.samplesPerPrompt} completions for each of ${data.pairPrompts.length} prompts`);
  const sampled = await sampleGroundTruthPairs(base, tokenizer, data.pairPrompts, groundTruth, {
    samplesPerPrompt: config.data.samplesPerPrompt,
    maxNewTokens,
    seed: mixSeeds(seed, 11),
  });
  const split = trainEvalSplit(sampled.pairs, { evalFraction: config.data.pairEvalFraction, seed: mixSeeds(seed, 12) });
  context.log(
    `${sampled.pairs.length} pairs (${split.train.length} train, ${split.eval.length} held out; ${sampled.skipped} prompts tied), SFT sample reward ${sampled.sampleMeanReward.toFixed(3)}, ${sampled.cost.wallSeconds.toFixed(0)} s`,
  );
  throwIfAborted(signal);
  const rewardModel = await trainFrontierRewardModel({
    base,
    tokenizer,
    train: split.train,
    heldOut: split.eval,
    config: config.rewardModel,
    seed: mixSeeds(seed, 12),
    log: context.log,
    signal,
  });
  let correlation = NaN;
  try {
    await record('SFT (reference)', 'SFT model', null, ['base model'], undefined);

    const bestOfN = await runBestOfN({
      base,
      tokenizer,
      prompts: data.evalPrompts,
      rewardModel: rewardModel.model,
      groundTruth,
      ns: config.bestOfN,
      maxNewTokens,
      seed: mixSeeds(seed, 15),
    });
    correlation = bestOfN.rewardModelGroundTruthCorrelation;
    context.log(`best-of-N: reward model vs ground truth correlation ${correlation.toFixed(3)} over SFT samples`);
    for (const result of bestOfN.results) {
      const common = {
        setting: `N ${result.n}`,
        parameter: result.n,
        seed,
        kl: result.klBound,
        klStandardError: 0,
        klSource: 'bound' as const,
        finishedRate: result.finishedRate,
        meanLength: result.meanLength,
        cost: result.cost,
        details: {},
        examples: result.examples,
      };
      for (const point of [
        {
          ...common,
          family: 'Best-of-N (reward model)' as const,
          reward: result.rewardModelPick.reward,
          rewardStandardError: result.rewardModelPick.standardError,
          uses: ['base model', 'preference pairs', 'reward model'] as const,
        },
        {
          ...common,
          family: 'Best-of-N (ground-truth oracle)' as const,
          reward: result.oraclePick.reward,
          rewardStandardError: result.oraclePick.standardError,
          uses: ['base model'] as const,
          examples: [],
        },
      ]) {
        points.push(point);
        onPoint(point);
      }
    }

    const pairs = { train: split.train, heldOut: split.eval };
    for (const beta of config.dpo.betas) {
      await record(
        'DPO',
        `beta ${beta}`,
        beta,
        ['base model', 'preference pairs'],
        await trainDPOPolicy(context, pairs, beta, config.dpo),
      );
    }
    const ppo = { prompts: data.pairPrompts, config: config.ppo, maxNewTokens };
    for (const klCoef of config.ppo.groundTruthKlCoefs) {
      const reward: RewardSource = (prompt, completion) => groundTruth(prompt, completion);
      await record(
        'PPO (ground-truth reward)',
        `KL coef ${klCoef}`,
        klCoef,
        ['base model'],
        await trainPPOPolicy(context, {
          ...ppo,
          label: `PPO-GT kl ${klCoef}`,
          reward,
          rewardModelForward: false,
          klCoef,
        }),
      );
    }
    for (const klCoef of config.ppo.rewardModelKlCoefs) {
      const reward = rewardModelScorer(rewardModel.model, tokenizer, { batchSize: 64 });
      await record(
        'PPO (reward model)',
        `KL coef ${klCoef}`,
        klCoef,
        ['base model', 'preference pairs', 'reward model'],
        await trainPPOPolicy(context, {
          ...ppo,
          label: `PPO-RM kl ${klCoef}`,
          reward,
          rewardModelForward: true,
          klCoef,
        }),
      );
    }
    if (config.preferredFT !== null) {
      await record(
        'Preferred-FT',
        'chosen only',
        null,
        ['base model', 'preference pairs'],
        await trainPreferredFTPolicy(context, split.train, config.preferredFT),
      );
    }
    for (const alpha of config.unlikelihood.alphas) {
      await record(
        'Unlikelihood',
        `alpha ${alpha}`,
        alpha,
        ['base model', 'preference pairs'],
        await trainUnlikelihoodPolicy(context, split.train, alpha, config.unlikelihood),
      );
    }
  } finally {
    rewardModel.model.dispose();
  }
  const wallSeconds = (performance.now() - started) / 1000;
  context.log(`seed done in ${formatDuration(wallSeconds)}`);
  return {
    seed,
    points,
    pairs: {
      train: split.train.length,
      heldOut: split.eval.length,
      skippedPrompts: sampled.skipped,
      sampleMeanReward: sampled.sampleMeanReward,
      meanRewardGap: mean(sampled.pairs.map((p) => p.chosenReward - p.rejectedReward)),
      finishedRate: sampled.finishedRate,
      cost: sampled.cost,
    },
    rewardModel: {
      heldOutAccuracyBefore: rewardModel.heldOutAccuracyBefore,
      heldOutAccuracy: rewardModel.heldOutAccuracy,
      heldOutPairs: rewardModel.heldOutPairs,
      groundTruthCorrelation: correlation,
      cost: rewardModel.cost,
    },
    wallSeconds,
  };
}
