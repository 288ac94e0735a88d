/**
 * Test helpers for dpo-ts packages: tensor closeness, leak checks, finite-difference gradient
 * checks and a tiny scorer to drive losses and training loops without a real model.
 * Import from `@dpo-ts/core/testing`; importing it registers tfjs-core's gradients.
 * @packageDocumentation
 */
// tfjs-core's gradients, registered once for the process (see ../register-all-gradients.ts).
import '../register-all-gradients.js';
export { expectClose, type Tolerance, type Numeric } from './expect-close.js';
export { expectNoLeak } from './expect-no-leak.js';
export { EVERY_TRAINING_ARGUMENTS_FIELD, EVERY_PREFERENCE_FIELD } from './config-fixtures.js';
export { checkGradient, type GradientCheckOptions, type GradientCheckResult } from './finite-difference.js';
export { TabularPolicyScorer, type TabularPreferenceBatch } from './tabular-policy-scorer.js';
export {
  createTinyMLPTask,
  tinyMLPTaskSpec,
  tinyMLPBatches,
  type TinyMLPTaskConfig,
  type TinyMLPBatch,
} from './tiny-mlp-task.js';
export {
  createTinySampler,
  tinySamplerSpec,
  type TinySamplerConfig,
  type TinySamplingTask,
  type TinySamplingResult,
} from './tiny-sampler.js';
