import type { BackendName } from './backend-request.js';
import type { GradientOverrideName } from './gradient-overrides.js';

/**
 * Which gradient overrides `selectBackend` registers on each backend, and why. Measured on a
 * 2-vCPU x86-64 machine, Node 20, tfjs 4.22, medians (see benchmarks/src/gradient-overrides.ts):
 *
 * - `wasm`: all four.
 *   BatchMatMul: the backward pass of a [16,64,128] x [128,512] linear layer 357 ms -> 34 ms
 *   (2-D [1024,128] x [128,512]: 503 -> 41 ms); batched attention products are unchanged
 *   (~92 ms for [64,64,32] q k^T), as their batched kernel has no fast path either way.
 *   Conv2D / Conv2DBackpropInput / GatherV2: needed, wasm has no Conv2DBackpropFilter or
 *   UnsortedSegmentSum kernel; the forward-conv input gradient is also 1.2-3x faster than
 *   wasm's Conv2DBackpropInput kernel.
 * - `cpu`: all four. Conv2D gradient 14-28x faster than cpu's Conv2DBackpropFilter/Input
 *   ([8,16,16,16] * [3,3,16,32]: 9.6 s -> 0.7 s), GatherV2 ~600x (embedding 96x128, 1024 ids:
 *   6 s -> 10 ms); BatchMatMul costs about the same on cpu and is needed for broadcast batches.
 * - `tensorflow`, `webgpu`: BatchMatMul only. Their kernels cover the built-in gradients
 *   natively, but tfjs-core's own BatchMatMul gradient fails with a shape error whenever the
 *   batch axes broadcast ([B,T,d] x [d,n], the usual linear layer), on every backend. Not timed
 *   there (no such device here).
 */
export const DEFAULT_GRADIENT_OVERRIDES: Readonly<Record<BackendName, readonly GradientOverrideName[]>> =
  /* @__PURE__ */ Object.freeze({
    wasm: ['BatchMatMul', 'Conv2D', 'Conv2DBackpropInput', 'GatherV2'],
    cpu: ['BatchMatMul', 'Conv2D', 'Conv2DBackpropInput', 'GatherV2'],
    tensorflow: ['BatchMatMul'],
    webgpu: ['BatchMatMul'],
  });
