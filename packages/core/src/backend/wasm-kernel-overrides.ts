import {
  registerWasmBatchMatMulKernel,
  restoreWasmBatchMatMulKernel,
  wasmBatchMatMulKernelActive,
} from './wasm-batch-mat-mul-kernel.js';
import { registerWasmEqualKernel, restoreWasmEqualKernel, wasmEqualKernelActive } from './wasm-equal-kernel.js';
import {
  registerWasmIdentityKernel,
  restoreWasmIdentityKernel,
  wasmIdentityKernelActive,
} from './wasm-identity-kernel.js';
import { registerWasmCopyKernel, restoreWasmCopyKernel, wasmCopyKernelActive } from './wasm-split-concat-kernels.js';
import {
  registerWasmTransposeKernel,
  restoreWasmTransposeKernel,
  wasmTransposeKernelActive,
} from './wasm-transpose-kernel.js';
import { registerWasmSumKernel, restoreWasmSumKernel, wasmSumKernelActive } from './wasm-sum-kernel.js';

/** Name of a wasm-backend kernel that dpo-ts can replace (tfjs's kernel name). */
export type KernelOverrideName = 'BatchMatMul' | 'Sum' | 'SplitV' | 'Concat' | 'Identity' | 'Equal' | 'Transpose';

/**
 * Every wasm kernel override, in registration order:
 * - `BatchMatMul`: batched and transposed products on a WebAssembly SIMD kernel (attention);
 * - `Sum`: sums over leading axes (bias and layer-norm gradients) as a ones-vector product;
 * - `SplitV`, `Concat`: whole contiguous runs copied at once (attention's q/k/v split);
 * - `Identity`: shares data instead of copying it (every tensor a gradient saves is cloned);
 * - `Equal`: equal shapes and one value per row as plain loops (the max/logSumExp gradient);
 * - `Transpose`: matrix transposes in 4 x 4 blocks (the weight gradients' `x^T`).
 *
 * Measured on the GPT DPO step (d 128, 4 layers, 16 pairs x 64 tokens) on a loaded 2-core
 * machine: see the throughput benchmark's kernel profile and `docs/results`.
 */
export const KERNEL_OVERRIDES: readonly KernelOverrideName[] = /* @__PURE__ */ Object.freeze([
  'BatchMatMul',
  'Sum',
  'SplitV',
  'Concat',
  'Identity',
  'Equal',
  'Transpose',
] as const);

const OVERRIDES = {
  BatchMatMul: {
    register: registerWasmBatchMatMulKernel,
    restore: restoreWasmBatchMatMulKernel,
    active: wasmBatchMatMulKernelActive,
  },
  Sum: { register: registerWasmSumKernel, restore: restoreWasmSumKernel, active: wasmSumKernelActive },
  SplitV: {
    register: () => registerWasmCopyKernel('SplitV'),
    restore: () => restoreWasmCopyKernel('SplitV'),
    active: () => wasmCopyKernelActive('SplitV'),
  },
  Concat: {
    register: () => registerWasmCopyKernel('Concat'),
    restore: () => restoreWasmCopyKernel('Concat'),
    active: () => wasmCopyKernelActive('Concat'),
  },
  Identity: {
    register: registerWasmIdentityKernel,
    restore: restoreWasmIdentityKernel,
    active: wasmIdentityKernelActive,
  },
  Equal: { register: registerWasmEqualKernel, restore: restoreWasmEqualKernel, active: wasmEqualKernelActive },
  Transpose: {
    register: registerWasmTransposeKernel,
    restore: restoreWasmTransposeKernel,
    active: wasmTransposeKernelActive,
  },
} as const satisfies Record<KernelOverrideName, { register(): boolean; restore(): void; active(): boolean }>;

/**
 * Registers the wasm kernel overrides (global to the process, like tfjs's kernel registry; they
 * change speed, not results beyond float32 rounding). Needs the wasm backend loaded; normally
 * called by `selectBackend`. Idempotent.
 * @returns the overrides active after the call.
 */
export function registerWasmKernelOverrides(
  names: readonly KernelOverrideName[] = KERNEL_OVERRIDES,
): KernelOverrideName[] {
  for (const name of names) OVERRIDES[name].register();
  return activeWasmKernelOverrides();
}

/** Puts back the wasm backend's own kernels. Idempotent. @returns the overrides still active. */
export function restoreWasmKernels(names: readonly KernelOverrideName[] = KERNEL_OVERRIDES): KernelOverrideName[] {
  for (const name of names) OVERRIDES[name].restore();
  return activeWasmKernelOverrides();
}

/** The wasm kernel overrides currently registered, in {@link KERNEL_OVERRIDES} order. */
export function activeWasmKernelOverrides(): KernelOverrideName[] {
  return KERNEL_OVERRIDES.filter((name) => OVERRIDES[name].active());
}
