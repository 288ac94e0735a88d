import type * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { NonFiniteError } from '../errors/non-finite-error.js';
import { METRIC_NAMES } from '../metrics/metric-names.js';
import { copyToHost } from '../parallel/copy-to-host.js';
import type { HostGradientSum } from '../parallel/gradient-engine.js';
import { type ParameterLayout, parameterLayout, readParameters } from '../parallel/parameter-layout.js';
import type { NamedVariables } from '../surrogate/preference-scorer.js';
import type { AdamWOptimizer, GradientMap } from './adamw-optimizer.js';
import type { GradientStepOptions } from './apply-gradient-step.js';
import { adamwConstants, adamwRange, clipScaleFromPartials, normChunkCount, sumSquaresByChunk } from './fused-adamw.js';
import { assertFinite } from './non-finite-guard.js';

/**
 * {@link applyGradientStep} on a gradient sum held in host memory: the global norm, clipping,
 * the non-finite guard and AdamW in one JavaScript pass over flat buffers, with no tensor op.
 * The maths and the order of checks are `applyGradientStep`'s:
 *
 *   norm = sqrt(sum_c partial_c),  partial_c = sum of g^2 over a fixed chunk of 16384 elements
 *   norm must be finite (else `NonFiniteError` on `grad_norm`, before any weight changes)
 *   g <- g * min(1, maxGradNorm / (norm + 1e-6));  AdamW(g) as `AdamWOptimizer.applyGradients`
 *   a non-finite new weight throws `NonFiniteError` naming the variable, after the update
 *
 * The partial sums are float64 and added in chunk order, so the norm does not depend on how the
 * elements would be split between threads; it and the update agree with the tensor path to
 * float32 rounding (not bit for bit: the tensor path sums squares in float32).
 *
 * The optimiser's moments move to host buffers on the first call (`AdamWOptimizer.hostMoments`)
 * and stay there; its `state()`, and so checkpoints, read them there. `sum.parameters` is
 * updated in place, then copied into `variables` (the variables with a gradient).
 *
 * Tensors: creates none that outlive the call (the new weights are assigned).
 *
 * @param variables - the optimiser's variables by name, at the weights held in `sum.parameters`.
 * @returns the global gradient norm before clipping (float32), TRL's `grad_norm`.
 * @internal
 */
export async function applyFusedGradientStep(
  optimizer: AdamWOptimizer,
  sum: HostGradientSum,
  variables: NamedVariables,
  options: GradientStepOptions,
): Promise<number> {
  const { maxGradNorm, learningRate, stepIndex } = options;
  if (typeof maxGradNorm !== 'number' || Number.isNaN(maxGradNorm) || maxGradNorm <= 0) {
    throw new InvalidArgumentError('maxGradNorm', 'a number > 0 (Infinity for no clipping)', maxGradNorm);
  }
  const { layout, values, present, parameters, parameterOffsets } = sum;
  const moments = await optimizer.hostMoments(layout);
  const partials = new Float64Array(normChunkCount(layout.size));
  sumSquaresByChunk(values, partials, 0, partials.length);
  const { norm, scale } = clipScaleFromPartials(partials, maxGradNorm);
  assertFinite(METRIC_NAMES.gradNorm, norm, stepIndex);
  const updated = layout.slots.flatMap((slot, s) =>
    present[s] ? [{ ...slot, offset: parameterOffsets[s]!, valueOffset: slot.offset }] : [],
  );
  const steps = optimizer.recordHostStep(
    updated.map((slot) => slot.name),
    learningRate,
  );
  const hyper = {
    learningRate,
    beta1: optimizer.beta1,
    beta2: optimizer.beta2,
    epsilon: optimizer.epsilon,
    weightDecay: optimizer.weightDecay,
  };
  let bad: { name: string; index: number; value: number } | undefined;
  updated.forEach((slot, u) => {
    const constants = adamwConstants(hyper, steps[u]!, optimizer.isDecayed(slot.name));
    const start = slot.valueOffset;
    const shift = slot.offset - start;
    const i = adamwRange(
      values,
      moments.m,
      moments.v,
      parameters,
      shift,
      start,
      start + slot.size,
      scale,
      hyper,
      constants,
    );
    if (i >= 0 && bad === undefined) bad = { name: slot.name, index: i - start, value: parameters[i + shift]! };
  });
  readParameters({ slots: updated, size: layout.size }, parameters, variables);
  if (bad !== undefined) {
    throw new NonFiniteError(
      `variable "${bad.name}"`,
      stepIndex,
      bad.value,
      `element ${bad.index}, after the optimizer update; training stopped before saving`,
    );
  }
  return norm;
}

/** Reusable host buffers of {@link hostGradientSumOf}, per optimiser. */
const scratch = new WeakMap<
  AdamWOptimizer,
  { layout: ParameterLayout; values: Float32Array; parameters: Float32Array }
>();

/**
 * Copies gradient tensors and their variables' weights into host buffers (reused from call to
 * call for the same optimiser), for {@link applyFusedGradientStep} on the single-thread path.
 * Tensors: reads `grads` and `variables`, creates none.
 * @internal
 */
export async function hostGradientSumOf(
  optimizer: AdamWOptimizer,
  variables: NamedVariables,
  grads: GradientMap,
): Promise<HostGradientSum> {
  let buffers = scratch.get(optimizer);
  if (buffers === undefined || !sameVariables(buffers.layout, variables)) {
    const layout = parameterLayout(variables);
    buffers = { layout, values: new Float32Array(layout.size), parameters: new Float32Array(layout.size) };
    scratch.set(optimizer, buffers);
  }
  const { layout, values, parameters } = buffers;
  const present = new Int32Array(layout.slots.length);
  for (const [s, { name, offset, size }] of layout.slots.entries()) {
    const gradient: tf.Tensor | undefined = grads.get(name);
    await copyToHost(variables.get(name)!, parameters, offset);
    if (gradient === undefined) values.fill(0, offset, offset + size);
    else await copyToHost(gradient, values, offset);
    present[s] = gradient === undefined ? 0 : 1;
  }
  return { layout, values, present, parameters, parameterOffsets: layout.slots.map((slot) => slot.offset) };
}

/** Whether `layout` lists exactly the trainable variables of `variables`, with their shapes, in order. */
function sameVariables(layout: ParameterLayout, variables: NamedVariables): boolean {
  let s = 0;
  for (const [name, variable] of variables) {
    if (!variable.trainable) continue;
    const slot = layout.slots[s++];
    if (slot === undefined || slot.name !== name || slot.size !== variable.size) return false;
  }
  return s === layout.slots.length;
}
