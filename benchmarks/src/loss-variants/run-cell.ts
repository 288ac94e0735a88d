import * as tf from '@tensorflow/tfjs-core';
import { computePreferenceLoss, resolvePreferenceLossConfig } from '@dpo-ts/core';
import { Rng } from '@dpo-ts/core/training';
import { TabularPolicyScorer, type TabularPreferenceBatch } from '@dpo-ts/core/testing';
import type { LossVariantCell } from './settings.js';

/** What one cell measured (JSON). */
export interface LossVariantMeasurement {
  readonly variant: string;
  readonly beta: number;
  readonly seed: number;
  /** Mean over prompts of E_pi[r(c, y)], the true reward of the trained policy. */
  readonly reward: number;
  /** The same for the reference (uniform) policy. */
  readonly referenceReward: number;
  /** Mean over prompts of KL(pi(.|c) || pi_ref(.|c)), nats. */
  readonly kl: number;
  /**
   * Fraction of every (prompt, response, response) triple whose implicit reward
   * beta * log(pi / pi_ref) orders the two responses as the true reward does.
   */
  readonly rankingAccuracy: number;
  /** Fraction of training pairs whose label agrees with the true reward (label noise). */
  readonly labelAgreement: number;
  readonly finalLoss: number;
}

/** The task of a seed: true rewards r[c][y] ~ N(0, 1) and Bradley-Terry labelled pairs. */
export function tabularTask(cell: LossVariantCell): { rewards: number[][]; batch: TabularPreferenceBatch } {
  const { conditions, responses, pairs } = cell.settings;
  const rng = new Rng(cell.seed * 7919 + 17);
  const rewards = Array.from({ length: conditions }, () => Array.from({ length: responses }, () => rng.normal()));
  const batch = { conditions: [] as number[], chosen: [] as number[], rejected: [] as number[] };
  for (let i = 0; i < pairs; i += 1) {
    const c = rng.int(conditions);
    const a = rng.int(responses);
    const b = (a + 1 + rng.int(responses - 1)) % responses;
    // P(a preferred to b) = sigmoid(r_a - r_b) (Bradley-Terry).
    const aWins = rng.uniform() < 1 / (1 + Math.exp(rewards[c]![b]! - rewards[c]![a]!));
    batch.conditions.push(c);
    batch.chosen.push(aWins ? a : b);
    batch.rejected.push(aWins ? b : a);
  }
  return { rewards, batch };
}

/**
 * Trains a tabular policy from a uniform reference with one loss variant (full batch, Adam) and
 * measures its true reward, its KL to the reference and how well its implicit reward ranks
 * responses. Deterministic for a backend: the same cell gives the same numbers in any process.
 * Every tensor is freed (policy, reference, optimizer).
 */
export async function runLossVariantCell(cell: LossVariantCell): Promise<LossVariantMeasurement> {
  const { conditions, responses, steps, learningRate } = cell.settings;
  const { rewards, batch } = tabularTask(cell);
  const zeros = Array.from({ length: conditions }, () => new Array<number>(responses).fill(0));
  const policy = new TabularPolicyScorer(zeros, 'loss-variants-policy');
  const reference = new TabularPolicyScorer(zeros, 'loss-variants-reference', false);
  const optimizer = tf.train.adam(learningRate);
  const config = resolvePreferenceLossConfig({ lossType: cell.variant, beta: cell.beta });
  const state = { bcoRunningMean: 0, bcoRunningCount: 0 };
  try {
    const referenceScores = reference.score(batch);
    let finalLoss = Number.NaN;
    try {
      for (let step = 0; step < steps; step += 1) {
        const loss = optimizer.minimize(
          () => {
            const scores = policy.score(batch);
            return computePreferenceLoss(scores, referenceScores, config, state).loss;
          },
          true,
          [policy.logits],
        );
        if (step === steps - 1) finalLoss = (await loss!.data())[0]!;
        loss?.dispose();
        // Yield to the event loop: a queue worker renews its job's lock from there.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      tf.dispose([referenceScores.chosen, referenceScores.rejected]);
    }
    const logPolicy = await readAndDispose(policy.logProbs());
    const logReference = await readAndDispose(reference.logProbs());
    return { ...measure(cell, rewards, logPolicy, logReference, batch), finalLoss };
  } finally {
    policy.dispose();
    reference.dispose();
    optimizer.dispose();
  }
}

async function readAndDispose(tensor: tf.Tensor2D): Promise<number[][]> {
  try {
    return await tensor.array();
  } finally {
    tensor.dispose();
  }
}

function measure(
  cell: LossVariantCell,
  rewards: number[][],
  logPolicy: number[][],
  logReference: number[][],
  batch: TabularPreferenceBatch,
): Omit<LossVariantMeasurement, 'finalLoss'> {
  let reward = 0;
  let referenceReward = 0;
  let kl = 0;
  let ordered = 0;
  let triples = 0;
  rewards.forEach((row, c) => {
    row.forEach((r, y) => {
      const p = Math.exp(logPolicy[c]![y]!);
      reward += p * r;
      referenceReward += Math.exp(logReference[c]![y]!) * r;
      kl += p * (logPolicy[c]![y]! - logReference[c]![y]!);
      for (let z = y + 1; z < row.length; z += 1) {
        const implicit = logPolicy[c]![y]! - logReference[c]![y]! - (logPolicy[c]![z]! - logReference[c]![z]!);
        triples += 1;
        if (Math.sign(implicit) === Math.sign(r - row[z]!)) ordered += 1;
      }
    });
  });
  const agree = batch.chosen.filter(
    (y, i) => rewards[batch.conditions[i]!]![y]! > rewards[batch.conditions[i]!]![batch.rejected[i]!]!,
  );
  return {
    variant: cell.variant,
    beta: cell.beta,
    seed: cell.seed,
    reward: reward / rewards.length,
    referenceReward: referenceReward / rewards.length,
    kl: kl / rewards.length,
    rankingAccuracy: ordered / triples,
    labelAgreement: agree.length / batch.chosen.length,
  };
}
