/**
 * `@dpo-ts/core/preference`: the preference trainer every DPO trainer wraps
 * ({@link PreferenceTrainer}, {@link PreferenceTrainerBase}): reference models and their
 * ownership, the in-memory and on-disk reference-score caches with their fingerprints, and the
 * worker-thread task that scores pairs on replicas. Importing it registers tfjs-core's gradients.
 * @packageDocumentation
 */
// tfjs-core's gradients, registered once for the process (see ../register-all-gradients.ts).
import '../register-all-gradients.js';
export {
  fingerprintVariables,
  fingerprintJson,
  combineFingerprints,
  combineFingerprintParts,
  requireFingerprintParts,
  backendFingerprint,
  checksumScoreEntries,
  type FingerprintParts,
} from './fingerprint.js';
export {
  ReferenceScoreCache,
  REFERENCE_CACHE_FORMAT,
  REFERENCE_CACHE_VERSION,
  type ReferenceCacheStatus,
  type CachedPairScores,
  type ReferenceScoreCacheOpenOptions,
} from './reference-score-cache.js';
export { referenceScores, disposePairScores, type ReferenceSource } from './reference-source.js';
export { syncReferenceWeights } from './sync-reference.js';
export {
  resolvePreferenceTrainerConfig,
  DEFAULT_PREFERENCE_TRAINER_CONFIG,
  PREFERENCE_TRAINER_CONFIG_FIELDS,
  type PreferenceTrainerConfig,
  type PreferenceTrainerDefaults,
  type ResolvedPreferenceTrainerConfig,
} from './preference-trainer-config.js';
export {
  PreferenceTrainer,
  type PreferenceTrainerOptions,
  type PairMetrics,
  type ScoredPairs,
} from './preference-trainer.js';
export { InMemoryReferenceScores, type ReferenceScoreStore } from './reference-score-store.js';
export {
  prepareReference,
  type PrepareReferenceOptions,
  type PreparedReference,
  type ReferenceModel,
} from './prepare-reference.js';
export {
  PreferenceTrainerBase,
  type PreferenceTrainerParts,
  type ReferencePrecomputation,
  type ResolvedPreferenceRunConfig,
} from './preference-trainer-base.js';
export { readPairScores, pairScoresFromHost, type HostPairScores } from './host-pair-scores.js';
export {
  preferenceLoss,
  preferenceMicroBatchLoss,
  SCORE_DETAIL_PREFIX,
  REFERENCE_ON_REPLICA,
  REFERENCE_OUTPUT_PREFIX,
  referenceFromOutputs,
  type PreferenceMicroBatch,
} from './preference-micro-batch-loss.js';
export {
  createPreferenceTask,
  preferenceTaskSpec,
  REFERENCE_VARIABLE_PREFIX,
  type PreferenceScorerFactory,
  type PreferenceScorerReplica,
  type PreferenceStepJSON,
  type PreferenceTaskConfig,
} from './preference-task.js';
export {
  preferenceWorkerCount,
  assertPreferenceWorkers,
  createPreferenceEngine,
  type PreferenceEngine,
} from './preference-workers.js';
