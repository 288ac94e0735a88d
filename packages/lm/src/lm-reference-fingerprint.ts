import type { Checkpointable, ScoreReduction } from '@dpo-ts/core';
import {
  backendFingerprint,
  fingerprintJson,
  fingerprintVariables,
  type FingerprintParts,
} from '@dpo-ts/core/preference';
import type { CausalLanguageModel } from './causal-lm.js';
import type { TokenizedPreferenceDataset } from './dpo-dataset.js';
import { lmModelArchitecture } from './model-architecture.js';

/** Fingerprint of a language model's architecture ({@link lmModelArchitecture}). */
export function lmModelFingerprint(model: CausalLanguageModel): string {
  return fingerprintJson(lmModelArchitecture(model));
}

/**
 * Everything an LM reference score depends on, as named parts for core's
 * `ReferenceScoreCache` (a miss names the part that changed):
 *
 * - `format`: this scheme's version;
 * - `model`: {@link lmModelFingerprint} (architecture);
 * - `weights`: every variable's name, dtype, shape and bytes (core's `fingerprintVariables`);
 * - `scoring`: the score reduction (`sum` or `mean` of token log-probs);
 * - `tokenizer`: {@link tokenizerFingerprint};
 * - `data/train`, `data/eval`: the tokenised pairs with their truncation layout;
 * - `backend`: the tfjs backend (core's `backendFingerprint`).
 */
export async function lmReferenceFingerprint(options: {
  readonly reference: CausalLanguageModel & Checkpointable;
  readonly reduction: ScoreReduction;
  readonly trainData: TokenizedPreferenceDataset;
  readonly evalData: TokenizedPreferenceDataset | undefined;
}): Promise<FingerprintParts> {
  return {
    format: 'dpo-ts.lm-reference-scores.v2',
    model: lmModelFingerprint(options.reference),
    weights: await fingerprintVariables(options.reference.namedVariables()),
    scoring: fingerprintJson({ reduction: options.reduction }),
    tokenizer: options.trainData.tokenizerFingerprint,
    'data/train': options.trainData.fingerprint,
    'data/eval': options.evalData?.fingerprint ?? 'none',
    backend: backendFingerprint(),
  };
}
