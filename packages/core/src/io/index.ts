/**
 * `@dpo-ts/core/io`: files written atomically and durably, named-weights files (a manifest and
 * one binary of float32 weights) and the saved-model manifest every trainer's `save(dir)` writes.
 * @packageDocumentation
 */
export { assertWritableFilePath } from './writable-file-path.js';
export {
  writeFileAtomic,
  writeDirectoryAtomic,
  writeFileDurable,
  fsyncDirectory,
  temporaryName,
} from './atomic-file.js';
export {
  NAMED_WEIGHTS_FORMAT,
  encodeNamedWeights,
  decodeNamedWeights,
  type EncodedNamedWeights,
  type EncodeNamedWeightsOptions,
  type NamedWeightsStorage,
  type NamedWeightsManifest,
  type NamedWeightsManifestEntry,
  type NamedWeightsSource,
} from './named-weights-format.js';
export {
  saveNamedWeights,
  loadNamedWeights,
  assignNamedWeights,
  formatJsonFile,
  readJsonFile,
  DEFAULT_NAMED_WEIGHTS_FILES,
  type LoadedNamedWeights,
  type NamedWeightsFiles,
  type SaveNamedWeightsOptions,
} from './named-weights.js';
export {
  SAVED_MODEL_FORMAT,
  SAVED_MODEL_VERSION,
  SAVED_MODEL_FILE,
  saveTrainedModel,
  readSavedModelManifest,
  type SavedModelManifest,
  type SaveTrainedModelOptions,
  type SavedModelExpectation,
} from './saved-model.js';
