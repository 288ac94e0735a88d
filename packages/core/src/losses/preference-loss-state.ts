import type * as tf from '@tensorflow/tfjs-core';

import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { NonFiniteError } from '../errors/non-finite-error.js';
import { assertShape } from '../errors/shape-mismatch-error.js';
import type { PreferenceLossState } from './preference-loss.js';

/**
 * A fresh loss state: no rewards seen, so `bco_pair`'s shift starts at the first batch's mean
 * reward (TRL's `RunningMoments` starts at mean 0 with count 1e-24, which amounts to the same).
 * Plain numbers, so a checkpoint can store it as JSON.
 */
export function createPreferenceLossState(): PreferenceLossState {
  return { bcoRunningMean: 0, bcoRunningCount: 0 };
}

/**
 * Commits one step to the loss state; trainers call it once after each computePreferenceLoss
 * (per micro-batch), passing the `chosenRewards` and `rejectedRewards` it returned:
 *
 *   batchMean           = mean([chosenRewards..., rejectedRewards...])
 *   bcoRunningCount    += 1
 *   bcoRunningMean     += (batchMean - bcoRunningMean) / bcoRunningCount
 *
 * the running mean of per-step batch means that TRL's `RunningMoments.update` keeps for
 * `bco_pair` (TRL passes one scalar per step, so its count is a step count too). The `bco_pair`
 * loss of that step already used this updated mean (it builds it in the graph), so loss and state
 * agree; updating is harmless when no `bco_pair` loss is configured.
 *
 * Reads the two tensors synchronously (`dataSync`), so call it outside any gradient tape, after
 * the step; it does not dispose them. Mutates and returns `state`.
 *
 * @throws {@link ShapeMismatchError} when the rewards are not two `[batch]` tensors of one size.
 * @param step - the 0-based training step, named in the error when the mean is not finite.
 * @throws {@link NonFiniteError} naming `mean reward` and `step` when the batch mean is not
 *   finite ({@link InvalidArgumentError} when no step is given); the state is then left
 *   unchanged, so a NaN step cannot poison every later bco_pair shift.
 */
export function updatePreferenceLossState(
  state: PreferenceLossState,
  chosenRewards: tf.Tensor1D,
  rejectedRewards: tf.Tensor1D,
  step?: number,
): PreferenceLossState {
  assertShape('chosenRewards', chosenRewards.shape, [null]);
  assertShape('rejectedRewards', rejectedRewards.shape, [chosenRewards.shape[0] ?? null]);
  return updatePreferenceLossStateFromRewards(state, chosenRewards.dataSync(), rejectedRewards.dataSync(), step);
}

/**
 * {@link updatePreferenceLossState} from rewards already on the host (what core's
 * `microBatchStep` reads back from a micro-batch), with the same arithmetic. Mutates and returns
 * `state`.
 * @param step - the 0-based training step, named in the error when the mean is not finite.
 * @throws {@link NonFiniteError} naming `mean reward` and `step` when the batch mean is not
 *   finite ({@link InvalidArgumentError} when no step is given); the state is then left unchanged.
 */
export function updatePreferenceLossStateFromRewards(
  state: PreferenceLossState,
  chosenRewards: ArrayLike<number>,
  rejectedRewards: ArrayLike<number>,
  step?: number,
): PreferenceLossState {
  const values = [...Array.from(chosenRewards), ...Array.from(rejectedRewards)];
  // Float64 sum of float32 values: the reference computation TRL does in float32.
  const batchMean = values.reduce((sum, value) => sum + value, 0) / values.length;
  if (!Number.isFinite(batchMean)) {
    const what = 'the mean of chosenRewards and rejectedRewards, for the bco_pair loss state';
    if (step !== undefined) throw new NonFiniteError('mean reward', step, batchMean, what);
    throw new InvalidArgumentError('mean reward', 'a finite number', batchMean, what);
  }
  state.bcoRunningCount += 1;
  state.bcoRunningMean += (batchMean - state.bcoRunningMean) / state.bcoRunningCount;
  return state;
}
