import * as tf from '@tensorflow/tfjs-core';
import { METRIC_NAMES } from '@dpo-ts/core';
import {
  adamWFromConfig,
  applyGradientStep,
  computeNamedGradients,
  lrScheduleFromConfig,
  resolveOptimizationConfig,
  runTrainingLoop,
  type ProgressOptions,
  type TrainingLoopResult,
} from '@dpo-ts/core/training';
import { epochBatches } from '@dpo-ts/core/data';
import { buildLMBatch, lmBatchTensors, tokenLogProbs, type GPT, type LMBatch, type Tokenizer } from '@dpo-ts/lm';
import { unlikelihoodLoss } from './unlikelihood-loss.js';

/** A preference pair as text. */
export interface TextPair {
  readonly prompt: string;
  readonly chosen: string;
  readonly rejected: string;
}

/** Settings of {@link trainUnlikelihood}. */
export interface UnlikelihoodTrainingConfig {
  readonly steps: number;
  /** Pairs per step (each gives a chosen and a rejected row). */
  readonly batchSize: number;
  readonly learningRate: number;
  /** Weight of the unlikelihood term. */
  readonly alpha: number;
  /** Data order. */
  readonly seed: number;
}

/**
 * Trains `model` in place with {@link unlikelihoodLoss} on preference pairs: each step takes
 * `batchSize` pairs (core's `epochBatches`, reshuffled each epoch by the seed), lays out the
 * chosen and the rejected completions as lm's SFT rows do (`[BOS] prompt completion [EOS]`,
 * prompt masked; `buildLMBatch`), takes per-token log-probs with lm's `tokenLogProbs`, and
 * applies core's clipped AdamW step (max grad norm 1, linear decay, no warm-up), inside core's
 * `runTrainingLoop` (progress, NaN guard, tensor-leak check).
 *
 * Metrics: `loss`, `nll/chosen` (mean NLL per chosen token), `unlikelihood/rejected` (mean
 * -log(1 - p) per rejected token), `grad_norm`, `learning_rate`.
 */
export async function trainUnlikelihood(options: {
  readonly model: GPT;
  readonly tokenizer: Tokenizer;
  readonly pairs: readonly TextPair[];
  readonly config: UnlikelihoodTrainingConfig;
  readonly progress?: ProgressOptions | false;
  readonly signal?: AbortSignal | undefined;
}): Promise<TrainingLoopResult> {
  const { model, tokenizer, config } = options;
  const optimization = resolveOptimizationConfig({ totalSteps: config.steps, learningRate: config.learningRate });
  const trainable = model.namedVariables();
  const optimizer = adamWFromConfig(trainable, optimization);
  const schedule = lrScheduleFromConfig(optimization);
  const tokenized = options.pairs.map((pair) => ({
    prompt: tokenizer.encode(pair.prompt),
    chosen: tokenizer.encode(pair.chosen),
    rejected: tokenizer.encode(pair.rejected),
  }));
  const layout = { maxLength: model.contextLength };
  const sideLoss = (batch: LMBatch): { logProbs: tf.Tensor2D; mask: tf.Tensor2D } => {
    const { inputIds, lossMask } = lmBatchTensors(batch);
    const [B, T] = inputIds.shape;
    const logProbs = tokenLogProbs(model, inputIds, { training: true }); // [B, T] -> [B, T-1], column t scores token t+1
    return { logProbs, mask: tf.slice(lossMask, [0, 1], [B, T - 1]) };
  };
  try {
    return await runTrainingLoop({
      totalSteps: config.steps,
      progress: options.progress ?? false,
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
      step: async (stepIndex) => {
        const { value } = epochBatches(tokenized, {
          batchSize: Math.min(config.batchSize, tokenized.length),
          seed: config.seed,
          startStep: stepIndex,
        }).next();
        const items = value!.items;
        const chosen = buildLMBatch(
          items.map((p) => ({ prompt: p.prompt, completion: p.chosen })),
          tokenizer,
          layout,
        );
        const rejected = buildLMBatch(
          items.map((p) => ({ prompt: p.prompt, completion: p.rejected })),
          tokenizer,
          layout,
        );
        let parts: tf.Scalar[] = [];
        const { value: loss, grads } = computeNamedGradients(() => {
          const w = sideLoss(chosen);
          const l = sideLoss(rejected);
          const result = unlikelihoodLoss({
            chosenLogProbs: w.logProbs,
            chosenMask: w.mask,
            rejectedLogProbs: l.logProbs,
            rejectedMask: l.mask,
            alpha: config.alpha,
          });
          parts = [tf.keep(result.likelihood), tf.keep(result.unlikelihood)];
          return result.loss;
        }, trainable);
        try {
          const learningRate = schedule(stepIndex);
          const gradNorm = await applyGradientStep(optimizer, grads, {
            maxGradNorm: optimization.maxGradNorm,
            learningRate,
            stepIndex,
          });
          const [nll, ul] = await Promise.all(parts.map(async (t) => (await t.data())[0]!));
          return {
            [METRIC_NAMES.loss]: (await loss.data())[0]!,
            'nll/chosen': nll!,
            'unlikelihood/rejected': ul!,
            [METRIC_NAMES.gradNorm]: gradNorm,
            [METRIC_NAMES.learningRate]: learningRate,
          };
        } finally {
          tf.dispose([loss, ...grads.values(), ...parts]);
        }
      },
    });
  } finally {
    optimizer.dispose();
  }
}
