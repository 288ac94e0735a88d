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
