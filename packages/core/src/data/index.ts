/**
 * Preference data: TRL's JSONL formats (preference pairs, unpaired text, prompt-only), field
 * codecs for text, chat messages, class labels and images, streaming readers, atomic writers,
 * and seeded, resumable shuffling, batching and splitting. Import from `@dpo-ts/core/data`.
 * @packageDocumentation
 */
export {
  fieldOk,
  fieldFailure,
  describeFieldFailure,
  decodeField,
  encodeField,
  requireFieldCodec,
  type FieldCodec,
  type FieldContext,
  type FieldParseFailure,
  type FieldParseResult,
  type RecordLocation,
} from './field-codec.js';
export { textField, type TextFieldOptions } from './text-field.js';
export { classLabelField, type ClassLabelFieldOptions } from './class-label-field.js';
export { imageField, type ImageFieldOptions, type ImageReference } from './image-field.js';
export {
  readImageBytes,
  resolveImageReadLimits,
  DEFAULT_IMAGE_READ_LIMITS,
  type ImageReadLimits,
  type ImageFieldLocation,
} from './image-file.js';
export {
  conversationalField,
  DEFAULT_CHAT_ROLES,
  type ChatMessage,
  type ConversationalFieldOptions,
} from './conversational-field.js';
export {
  TEXT_PREFERENCE_SCHEMA,
  CONVERSATIONAL_PREFERENCE_SCHEMA,
  parsePreferenceRecord,
  serializePreferenceRecord,
  requirePreferenceSchema,
  type PreferenceRecord,
  type PreferenceRecordInput,
  type PreferenceSchema,
} from './preference-record.js';
export { readJsonl, loadJsonl, type JsonlReadOptions, type JsonlRecordParser } from './jsonl-reader.js';
export { decodeJsonlLines, firstInvalidUtf8Offset, DEFAULT_MAX_LINE_BYTES, type JsonlLine } from './jsonl-lines.js';
export { decodeUtf8Text } from './utf8-text.js';
export { JsonlWriter, writeJsonl, type JsonlRecordSerializer, type JsonlWriteContext } from './jsonl-writer.js';
export { readPreferenceJsonl, loadPreferenceJsonl } from './preference-jsonl-reader.js';
export {
  writePreferenceJsonl,
  openPreferenceJsonlWriter,
  type PreferenceJsonlWriter,
} from './preference-jsonl-writer.js';
export {
  readTextJsonl,
  loadTextJsonl,
  writeTextJsonl,
  TEXT_FIELD,
  type TextRecord,
  type TextRecordInput,
} from './text-jsonl.js';
export {
  readPromptJsonl,
  loadPromptJsonl,
  writePromptJsonl,
  PROMPT_FIELD,
  type PromptRecord,
  type PromptRecordInput,
} from './prompt-jsonl.js';
export { batchOrder } from './batch-order.js';
export {
  shuffledBatches,
  sequentialBatches,
  batchesPerEpoch,
  type ShuffledBatchesOptions,
} from './shuffled-batches.js';
export { epochBatches, type EpochBatch, type EpochBatchesOptions } from './epoch-batches.js';
export { stepMicroBatches, epochsCompleted, type StepBatchOptions, type StepMicroBatch } from './step-micro-batches.js';
export { trainEvalSplit, type TrainEvalSplit, type TrainEvalSplitOptions } from './train-eval-split.js';
