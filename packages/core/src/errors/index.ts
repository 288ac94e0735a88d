export { DPOTSError } from './dpo-ts-error.js';
export { InvalidArgumentError } from './invalid-argument-error.js';
export { ShapeMismatchError, assertShape, formatShape, type ShapeSpec } from './shape-mismatch-error.js';
export { DataFormatError } from './data-format-error.js';
export { NonFiniteError } from './non-finite-error.js';
export { describeValue } from './describe-value.js';
export { printableText } from './printable-text.js';
export {
  requireNumber,
  requireInteger,
  requireOneOf,
  requireBoolean,
  requireString,
  requireKnownFields,
} from './validate.js';
export { requireFloat32, FLOAT32_MAX, FLOAT32_MIN_NORMAL } from './validate.js';
