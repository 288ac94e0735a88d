import { combineFingerprints, fingerprintVariables, InvalidArgumentError, type Checkpointable, type ScoreReduction } from '@dpo-ts/core';
import type { CausalLanguageModel } from './causal-lm.js';
import type { TokenizedPreferenceDataset } from './dpo-dataset.js';

/**
 * `model.clone()`: DPO's default reference, a copy of the starting policy (core's
 * `prepareReference` freezes it and disposes it with the trainer).
 * @throws InvalidArgumentError when the model has no `clone()`.
 */
export function frozenCopy<M extends CausalLanguageModel & Checkpointable>(model: M): M {
  const clone = (model as Partial<{ clone(): M }>).clone;
  if (typeof clone !== 'function') {
    throw new InvalidArgumentError('options.referenceModel', 'a reference model when the policy has no clone() (or referenceFree: true)', undefined);
  }
  const copy = clone.call(model);
  for (const variable of copy.namedVariables().values()) variable.trainable = false;
  return copy;
}

/**
 * Fingerprint of LM reference scores, what an on-disk `ReferenceScoreCache` is keyed by: a
 * format tag, the score reduction, the reference weights (`fingerprintVariables`) and the
 * tokenised train and eval datasets with their truncation settings. Any change gives another
 * fingerprint, so a stale file is invalidated, never reused.
 */
export async function lmReferenceFingerprint(options: {
  readonly reference: Checkpointable;
  readonly reduction: ScoreReduction;
  readonly trainData: TokenizedPreferenceDataset;
  readonly evalData: TokenizedPreferenceDataset | undefined;
}): Promise<string> {
  return combineFingerprints(
    'dpo-ts.lm-reference-scores.v1',
    options.reduction,
    await fingerprintVariables(options.reference.namedVariables()),
    options.trainData.fingerprint,
    options.evalData?.fingerprint ?? 'no-eval-dataset',
  );
}
