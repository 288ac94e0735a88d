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
export { referenceScores, type ReferenceSource } from './reference-source.js';
export { syncReferenceWeights } from './sync-reference.js';
export {
  resolvePreferenceTrainerConfig,
  flattenPreferenceTrainerConfig,
  DEFAULT_PREFERENCE_TRAINER_CONFIG,
  PREFERENCE_TRAINER_CONFIG_FIELDS,
  type PreferenceTrainerConfig,
  type ResolvedPreferenceTrainerConfig,
} from './preference-trainer-config.js';
export { PreferenceTrainer, type PreferenceTrainerOptions } from './preference-trainer.js';
