import { evalKey, METRIC_NAMES, type PreferenceLossType } from '@dpo-ts/core';
import { DPOTrainer, type GPT, type Tokenizer } from '@dpo-ts/lm';
import { secondsSince } from './compute-cost.js';
import type { StepsConfig } from './frontier-config.js';
import { finalMetrics, type MethodContext, type TrainedPolicy } from './frontier-point.js';
import { progressTo } from './log-stream.js';
import type { TextPair } from './unlikelihood-trainer.js';

const DPO_METRICS = [
  METRIC_NAMES.loss,
  METRIC_NAMES.rewardsAccuracies,
  METRIC_NAMES.rewardsMargins,
  METRIC_NAMES.rewardsChosen,
  METRIC_NAMES.logpsChosen,
];

/**
 * DPO (sigmoid loss, Rafailov et al. 2023 Eq. 7) from the SFT model at one beta: lm's
 * `DPOTrainer` on the training pairs, the SFT model itself as the frozen reference with its
 * scores precomputed once (in memory), linear decay after a short warm-up, gradient clipping at
 * 1, with core's `lossType` (IPO, hinge, ...) when given. Held-out pair metrics (`rewards/accuracies`, margins) are recorded after training.
 */
export async function trainDPOPolicy(
  context: MethodContext<GPT, Tokenizer>,
  data: { readonly train: readonly TextPair[]; readonly heldOut: readonly TextPair[] },
  beta: number,
  config: StepsConfig,
  lossType: PreferenceLossType = 'sigmoid',
): Promise<TrainedPolicy<GPT>> {
  const label = lossType === 'sigmoid' ? `DPO beta ${beta}` : `DPO ${lossType} beta ${beta}`;
  const started = performance.now();
  const policy = context.base.clone();
  let trainer: DPOTrainer | undefined;
  try {
    trainer = await DPOTrainer.create({
      model: policy,
      referenceModel: context.base,
      tokenizer: context.tokenizer,
      trainDataset: data.train,
      evalDataset: data.heldOut,
      config: {
        totalSteps: config.steps,
        beta,
        lossType,
        learningRate: config.learningRate,
        warmupSteps: Math.min(10, Math.floor(config.steps / 4)),
        perDeviceTrainBatchSize: config.batchSize,
        perDeviceEvalBatchSize: 32,
        precomputeRefLogProbs: true,
        seed: context.seed,
      },
    });
    const result = await trainer.train({
      progress: progressTo(context.log, label, DPO_METRICS, Math.ceil(config.steps / 4)),
      signal: context.signal,
    });
    const heldOut = await trainer.evaluate();
    context.log(
      `${label}: held-out rewards/accuracies ${heldOut[evalKey(METRIC_NAMES.rewardsAccuracies)]!.toFixed(3)}, margin ${heldOut[evalKey(METRIC_NAMES.rewardsMargins)]!.toFixed(3)}`,
    );
    const pairs = data.train.length + data.heldOut.length;
    return {
      policy,
      cost: {
        wallSeconds: secondsSince(started),
        // Reference scores of every pair once (2 rows each), then chosen + rejected rows per step, then the held-out evaluation.
        forwardSequences: 2 * pairs + 2 * config.steps * config.batchSize + 2 * data.heldOut.length,
        backwardSequences: 2 * config.steps * config.batchSize,
        sampledCompletions: 0,
        sampledTokens: 0,
      },
      details: {
        ...finalMetrics(result.history, DPO_METRICS),
        'eval/rewards/accuracies': heldOut[evalKey(METRIC_NAMES.rewardsAccuracies)]!,
        'eval/rewards/margins': heldOut[evalKey(METRIC_NAMES.rewardsMargins)]!,
        'eval/loss': heldOut[evalKey(METRIC_NAMES.loss)]!,
      },
    };
  } catch (error) {
    policy.dispose();
    throw error;
  } finally {
    trainer?.dispose();
  }
}
