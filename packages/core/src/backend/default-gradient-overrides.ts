import type { BackendName } from './backend-request.js';
import type { GradientOverrideName } from './gradient-overrides.js';

/**
 * Which gradient overrides `selectBackend` registers on each backend, and why. Measured on a
 * 2-vCPU x86-64 machine shared with other jobs (load ~4-5, so absolute times are ~2x a quiet
 * machine's; the ratios hold), Node 20, tfjs 4.22, one thread, medians of 7 with the variants
 * interleaved, two runs; `node benchmarks/dist/gradient-overrides.js` reproduces them.
 *
 * - `wasm`: all four.
 *   - BatchMatMul: GPT-like LM step (d 128, 4 layers, 16 x 64 tokens) 6.4-6.8 s -> 1.3-1.8 s
 *     (3.7-5.0x); forward + backward of a [1024,128] x [128,512] matmul 369-626 -> 46-79 ms
 *     (8x). Batched attention products stay on wasm's slow kernel either way (1.0-1.2x): the
 *     wasm kernel overrides (`KERNEL_OVERRIDES`, registered by `selectBackend` too) give them
 *     a SIMD kernel.
 *   - Conv2D, Conv2DBackpropInput, GatherV2: needed. wasm has no Conv2DBackpropFilter or
 *     UnsortedSegmentSum kernel, so tfjs's own gradients throw. The forward-conv input gradient
 *     is also 2.4-11x faster than wasm's Conv2DBackpropInput kernel ([32,28,28,32] * [3,3,32,32]:
 *     1026 -> 92 ms).
 * - `cpu`: all four. Its Conv2DBackpropFilter is pathological: a small conv / conv-transpose step
 *   0.8-2.2 s -> 69-167 ms (11-13x), one [8,16,16,16] * [3,3,16,32] conv's gradients
 *   9.6 s -> 0.7 s; GatherV2
 *   (embedding 96 x 128, 1024 ids) 6 s -> 10 ms. BatchMatMul costs about the same as tfjs's own
 *   on cpu and is needed for broadcast batches (next point).
 * - `tensorflow`, `webgpu`: BatchMatMul only. Their kernels cover tfjs's own gradients, but
 *   tfjs-core 4.22's BatchMatMul gradient fails with a shape error whenever batch axes broadcast
 *   ([B,T,d] x [d,n], the usual linear layer) on every backend. Not timed there (no such device).
 */
export const DEFAULT_GRADIENT_OVERRIDES: Readonly<Record<BackendName, readonly GradientOverrideName[]>> =
  /* @__PURE__ */ Object.freeze({
    wasm: ['BatchMatMul', 'Conv2D', 'Conv2DBackpropInput', 'GatherV2'],
    cpu: ['BatchMatMul', 'Conv2D', 'Conv2DBackpropInput', 'GatherV2'],
    tensorflow: ['BatchMatMul'],
    webgpu: ['BatchMatMul'],
  });
