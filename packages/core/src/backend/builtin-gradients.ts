import * as tf from '@tensorflow/tfjs-core';
import { firstLine, importOptional } from './import-optional.js';

/**
 * The package whose Node bundle registers all of tfjs-core's own gradients (Sum, Mul, Relu,
 * Softmax, ...). Since tfjs 3, `@tensorflow/tfjs-core` alone registers none of them: tf.grads of
 * almost anything throws "gradient function not found" unless `@tensorflow/tfjs-layers` (or
 * `@tensorflow/tfjs`, or `@tensorflow/tfjs-node`, which include it) has been imported.
 * `@tensorflow/tfjs-layers` is pure JavaScript with tfjs-core as its only peer.
 */
export const BUILTIN_GRADIENTS_PACKAGE = '@tensorflow/tfjs-layers';

/** Kernels whose gradients any training step needs; their absence means none are registered. */
const PROBE_KERNELS = ['Add', 'Mul', 'Sum', 'Reshape'] as const;

/** Whether tfjs-core's own gradients are registered in this process. */
export function hasBuiltinGradients(): boolean {
  return PROBE_KERNELS.every((kernel) => tf.getGradient(kernel) !== undefined);
}

/** Outcome of {@link ensureBuiltinGradients}. */
export interface BuiltinGradientsStatus {
  readonly registered: boolean;
  /** How: 'already registered', the package that registered them, or why they are missing. */
  readonly detail: string;
}

/**
 * Makes sure tfjs-core's own gradients are registered, importing
 * {@link BUILTIN_GRADIENTS_PACKAGE} when they are not and it is installed. Call before
 * registering dpo-ts's overrides: that import registers every gradient, and would replace them.
 */
export async function ensureBuiltinGradients(): Promise<BuiltinGradientsStatus> {
  if (hasBuiltinGradients()) return { registered: true, detail: 'already registered' };
  const result = await importOptional(BUILTIN_GRADIENTS_PACKAGE);
  if (hasBuiltinGradients()) return { registered: true, detail: `registered by ${BUILTIN_GRADIENTS_PACKAGE}` };
  const detail =
    result.status === 'missing'
      ? `${BUILTIN_GRADIENTS_PACKAGE} is not installed`
      : result.status === 'failed'
        ? `${BUILTIN_GRADIENTS_PACKAGE} failed to load (${firstLine(result.error)})`
        : `${BUILTIN_GRADIENTS_PACKAGE} loaded but registered no gradients`;
  return { registered: false, detail };
}
