import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig } from '@tensorflow/tfjs-core';
import { requireOneOf } from '../errors/validate.js';
import { batchMatMulGradConfig } from './batch-mat-mul-grad.js';
import { conv2DBackpropInputGradConfig } from './conv2d-backprop-input-grad.js';
import { conv2DGradConfig } from './conv2d-grad.js';
import { gatherV2GradConfig } from './gather-v2-grad.js';

// This module has no import-time side effects (nothing is registered until
// registerGradientOverrides() is called), so the package keeps `sideEffects: false`; the
// top-level calls below are pure and marked so for bundlers.

/** Name of a kernel whose gradient dpo-ts can override (tfjs's kernel name). */
export type GradientOverrideName = 'BatchMatMul' | 'Conv2D' | 'Conv2DBackpropInput' | 'GatherV2';

/**
 * Every gradient override dpo-ts provides, by kernel name:
 * - `BatchMatMul`: non-transposed, 2-D-where-possible matmuls (wasm's fast path); sums
 *   broadcast batch axes;
 * - `Conv2D`: filter and input gradients as forward convolutions (wasm has no
 *   Conv2DBackpropFilter);
 * - `Conv2DBackpropInput`: the gradient of conv2dTranspose, likewise;
 * - `GatherV2`: scatter-add instead of UnsortedSegmentSum (missing on wasm).
 */
export const GRADIENT_OVERRIDES: readonly GradientOverrideName[] = /* @__PURE__ */ Object.freeze([
  'BatchMatMul',
  'Conv2D',
  'Conv2DBackpropInput',
  'GatherV2',
] as const);

const CONFIGS = {
  BatchMatMul: batchMatMulGradConfig,
  Conv2D: conv2DGradConfig,
  Conv2DBackpropInput: conv2DBackpropInputGradConfig,
  GatherV2: gatherV2GradConfig,
} as const satisfies Record<GradientOverrideName, GradConfig>;

/** The gradient registered before the first override of each kernel (undefined: none was). */
const originals = /* @__PURE__ */ new Map<GradientOverrideName, GradConfig | undefined>();

function validateNames(names: readonly string[]): GradientOverrideName[] {
  return names.map((name, i) => requireOneOf(`names[${i}]`, name, GRADIENT_OVERRIDES));
}

/**
 * Registers dpo-ts's gradient overrides with `tf.registerGradient` (global to the process and
 * identical in maths on every backend), saving whatever gradient each kernel had so that
 * {@link restoreDefaultGradients} can put it back. Idempotent. Gradients are looked up when an
 * op is recorded, so call this before building the loss, normally through `selectBackend`.
 *
 * @param names - which overrides; all of {@link GRADIENT_OVERRIDES} by default.
 * @returns the overrides active after the call.
 * @throws InvalidArgumentError for an unknown name.
 */
export function registerGradientOverrides(
  names: readonly GradientOverrideName[] = GRADIENT_OVERRIDES,
): GradientOverrideName[] {
  for (const name of validateNames(names)) {
    if (!originals.has(name)) originals.set(name, tf.getGradient(name) as GradConfig | undefined);
    tf.registerGradient(CONFIGS[name]);
  }
  return activeGradientOverrides();
}

/**
 * Puts back the gradients that were registered before {@link registerGradientOverrides}:
 * normally tfjs-core's own, which `@dpo-ts/core` registers at import. Removes the override when
 * the kernel had none. A gradient registered by someone else after the override is left alone.
 *
 * @param names - which overrides to remove; all by default.
 * @returns the overrides still active.
 */
export function restoreDefaultGradients(
  names: readonly GradientOverrideName[] = GRADIENT_OVERRIDES,
): GradientOverrideName[] {
  for (const name of validateNames(names)) {
    if (!originals.has(name)) continue;
    const original = originals.get(name);
    originals.delete(name);
    // Leave alone a gradient someone registered after ours.
    if (tf.getGradient(name) !== CONFIGS[name]) continue;
    if (original !== undefined) tf.registerGradient(original);
    else tf.unregisterGradient(name);
  }
  return activeGradientOverrides();
}

/** The overrides currently registered in tfjs's gradient registry, in {@link GRADIENT_OVERRIDES} order. */
export function activeGradientOverrides(): GradientOverrideName[] {
  return GRADIENT_OVERRIDES.filter((name) => tf.getGradient(name) === CONFIGS[name]);
}

/** The override's gradient config, for tests and for callers that register gradients themselves. */
export function gradientOverrideConfig(name: GradientOverrideName): GradConfig {
  return CONFIGS[requireOneOf('name', name, GRADIENT_OVERRIDES)];
}
