// The arithmetic of core's fused AdamW step on flat float32 buffers: the global gradient norm
// from fixed-size partial sums, and clipping plus AdamW in one pass over a range of elements.
// Plain loops over typed arrays, no tensor: the step runs wherever the gradient sum already
// lives in host memory (the worker pool's shared sum). Internal to core's training step.
import { CLIP_GRAD_NORM_EPSILON } from './clip-grad-norm.js';

/**
 * Elements per partial sum of squares of the global norm. Fixed, so the partials, the order in
 * which they are added and hence the norm do not depend on how the elements are split between
 * threads.
 * @internal
 */
export const NORM_CHUNK_ELEMENTS = 16384;

/** Partial sums of squares needed for `elements` gradient values. @internal */
export function normChunkCount(elements: number): number {
  return Math.ceil(elements / NORM_CHUNK_ELEMENTS);
}

/**
 * Writes partials[c] = sum of g[i]^2 over chunk c (elements [c * NORM_CHUNK_ELEMENTS, ...)), in
 * float64, for the chunks `[firstChunk, endChunk)`. Elements of variables without a gradient
 * must be 0 in `gradients`.
 * @internal
 */
export function sumSquaresByChunk(
  gradients: Float32Array,
  partials: Float64Array,
  firstChunk: number,
  endChunk: number,
): void {
  for (let c = firstChunk; c < endChunk; c++) {
    const end = Math.min(gradients.length, (c + 1) * NORM_CHUNK_ELEMENTS);
    let sum = 0;
    for (let i = c * NORM_CHUNK_ELEMENTS; i < end; i++) {
      const g = gradients[i]!;
      sum += g * g;
    }
    partials[c] = sum;
  }
}

/**
 * The global L2 norm sqrt(sum_c partials[c]), the partials added in chunk order (float64), and
 * PyTorch's clip coefficient min(1, maxNorm / (norm + 1e-6)) (see `clipGradNorm`), both rounded
 * to float32 as the tensor path computes them. `Infinity` for `maxNorm` gives a coefficient of 1.
 * @returns `norm` (NaN or Infinity when a gradient is not finite) and `scale`.
 * @internal
 */
export function clipScaleFromPartials(partials: Float64Array, maxNorm: number): { norm: number; scale: number } {
  let total = 0;
  for (let c = 0; c < partials.length; c++) total += partials[c]!;
  const norm = Math.fround(Math.sqrt(total));
  const scale = Math.min(1, Math.fround(maxNorm / Math.fround(norm + CLIP_GRAD_NORM_EPSILON)));
  return { norm, scale };
}

/** The scalars of one variable's AdamW update at its step t (see {@link adamwConstants}). @internal */
export interface AdamWConstants {
  /** Multiplies theta before the update: 1 - lr * lambda, or 1 without decay. */
  readonly decayFactor: number;
  /** lr / (1 - beta1^t). */
  readonly stepSize: number;
  /** sqrt(1 - beta2^t). */
  readonly biasCorrection2Sqrt: number;
}

/** Hyper-parameters of one fused update. @internal */
export interface AdamWHyper {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
}

/**
 * The per-variable scalars of `AdamWOptimizer.applyGradients` at the variable's step `t`
 * (>= 1), each rounded to float32 as the tensor path's scalar operands are.
 * @internal
 */
export function adamwConstants(hyper: AdamWHyper, t: number, decay: boolean): AdamWConstants {
  const { learningRate, beta1, beta2, weightDecay } = hyper;
  return {
    decayFactor: decay && weightDecay !== 0 ? Math.fround(1 - learningRate * weightDecay) : 1,
    stepSize: Math.fround(learningRate / (1 - beta1 ** t)),
    biasCorrection2Sqrt: Math.fround(Math.sqrt(1 - beta2 ** t)),
  };
}

/**
 * Clipping and AdamW for the elements [start, end) of one variable, in one pass, exactly the
 * maths of `AdamWOptimizer.applyGradients` after `clipGradNorm` (PyTorch's AdamW):
 *
 *   g = g * scale;  theta = theta * decayFactor
 *   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
 *   theta = theta - stepSize * m / (sqrt(v) / biasCorrection2Sqrt + eps)
 *
 * `gradients`, `m` and `v` are indexed by i; `parameters` by i + `parameterShift`. Each element
 * is computed in float64 and rounded to float32 when stored, so it agrees with the tensor path
 * (float32 at every operation) to float32 rounding.
 * @returns the first index i whose new weight is NaN or infinite, or -1.
 * @internal
 */
export function adamwRange(
  gradients: Float32Array,
  m: Float32Array,
  v: Float32Array,
  parameters: Float32Array,
  parameterShift: number,
  start: number,
  end: number,
  scale: number,
  hyper: AdamWHyper,
  constants: AdamWConstants,
): number {
  const { beta1, beta2, epsilon } = hyper;
  const { decayFactor, stepSize, biasCorrection2Sqrt } = constants;
  const keep1 = 1 - beta1;
  const keep2 = 1 - beta2;
  // A product instead of the tensor path's division: one division per element fewer (about
  // 7 -> 6 ns per element), a difference in the last float32 bit at most.
  const inverseCorrection2 = 1 / biasCorrection2Sqrt;
  let check = 0;
  for (let i = start; i < end; i++) {
    const g = gradients[i]! * scale;
    const mi = beta1 * m[i]! + keep1 * g;
    const vi = beta2 * v[i]! + keep2 * g * g;
    m[i] = mi;
    v[i] = vi;
    const p = i + parameterShift;
    const theta = parameters[p]! * decayFactor - (stepSize * mi) / (Math.sqrt(vi) * inverseCorrection2 + epsilon);
    parameters[p] = theta;
    // On the stored value: a weight beyond float32's range is stored as an infinity.
    check += Math.fround(theta) * 0;
  }
  if (check === 0) return -1;
  for (let i = start; i < end; i++) if (!Number.isFinite(parameters[i + parameterShift]!)) return i;
  return -1;
}
