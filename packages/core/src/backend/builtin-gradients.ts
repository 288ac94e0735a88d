import * as tf from '@tensorflow/tfjs-core';
import { firstLine, importOptional } from './import-optional.js';

/**
 * The module that registers tfjs-core's own gradients (Sum, Mul, Relu, Softmax, ...): tfjs-core's
 * gradient set bundled at build time (scripts/bundle-gradients.mjs). Since tfjs 3,
 * `@tensorflow/tfjs-core` alone registers none of them, so tf.grads of almost anything would
 * throw "gradient function not found". `@dpo-ts/core`'s main entry imports it; this guard
 * covers callers that reached the backend module some other way.
 */
export const BUILTIN_GRADIENTS_MODULE = '@dpo-ts/core/tfjs-gradients';

/** Kernels whose gradients any training step needs; their absence means none are registered. */
const PROBE_KERNELS = ['Add', 'Multiply', 'Sum', 'Reshape'] as const;

/** Whether tfjs-core's own gradients are registered in this process. */
export function hasBuiltinGradients(): boolean {
  return PROBE_KERNELS.every((kernel) => tf.getGradient(kernel) !== undefined);
}

/** Outcome of {@link ensureBuiltinGradients}. */
export interface BuiltinGradientsStatus {
  /** True when tfjs-core's own gradients are registered now (before the call or by it). */
  readonly registered: boolean;
  /** 'already registered', the module that registered them, or why they are missing. */
  readonly detail: string;
}

/**
 * Makes sure tfjs-core's own gradients are registered, importing {@link BUILTIN_GRADIENTS_MODULE}
 * when they are not. Call before registering dpo-ts's overrides: that module registers every
 * gradient, and would replace them.
 */
export async function ensureBuiltinGradients(): Promise<BuiltinGradientsStatus> {
  if (hasBuiltinGradients()) return { registered: true, detail: 'already registered' };
  const result = await importOptional(BUILTIN_GRADIENTS_MODULE);
  if (hasBuiltinGradients()) return { registered: true, detail: `registered by ${BUILTIN_GRADIENTS_MODULE}` };
  const detail =
    result.status === 'failed'
      ? `${BUILTIN_GRADIENTS_MODULE} failed to load (${firstLine(result.error)})`
      : result.status === 'missing'
        ? `${BUILTIN_GRADIENTS_MODULE} was not found (build @dpo-ts/core: npm run build)`
        : `${BUILTIN_GRADIENTS_MODULE} loaded but registered no gradients`;
  return { registered: false, detail };
}
