/**
 * `@dpo-ts/core/backend`: backend selection and the gradient overrides that make training work,
 * and run fast, on wasm. Importing it registers tfjs-core's own gradients (as the main entry
 * does); backends load and the overrides register only when {@link selectBackend} or
 * {@link registerGradientOverrides} is called.
 * @packageDocumentation
 */
// tfjs-core's gradients, registered once for the process (see ../register-all-gradients.ts).
import '../register-all-gradients.js';
export { selectBackend, selectedBackend, type BackendInfo, type SelectBackendOptions } from './select-backend.js';
export {
  resolveBackendRequest,
  BACKEND_REQUESTS,
  BACKEND_ENV_VAR,
  type BackendName,
  type BackendRequest,
  type ResolvedBackendRequest,
} from './backend-request.js';
export { BackendUnavailableError } from './backend-unavailable-error.js';
export { requireBackend, NoBackendError } from './require-backend.js';
export {
  GRADIENT_OVERRIDES,
  registerGradientOverrides,
  restoreDefaultGradients,
  activeGradientOverrides,
  gradientOverrideConfig,
  type GradientOverrideName,
} from './gradient-overrides.js';
export { DEFAULT_GRADIENT_OVERRIDES } from './default-gradient-overrides.js';
export {
  ensureBuiltinGradients,
  hasBuiltinGradients,
  BUILTIN_GRADIENTS_MODULE,
  type BuiltinGradientsStatus,
} from './builtin-gradients.js';
export { batchMatMulGradConfig } from './batch-mat-mul-grad.js';
export {
  registerWasmBatchMatMulKernel,
  restoreWasmBatchMatMulKernel,
  wasmBatchMatMulKernelActive,
  planBatchMatMul,
} from './wasm-batch-mat-mul-kernel.js';
export { SimdBatchMatMul, type BatchMatMulPlan } from './simd-batch-mat-mul.js';
export {
  registerWasmSumKernel,
  restoreWasmSumKernel,
  wasmSumKernelActive,
  leadingReducedAxes,
} from './wasm-sum-kernel.js';
export { registerWasmCopyKernel, restoreWasmCopyKernel, wasmCopyKernelActive } from './wasm-split-concat-kernels.js';
export {
  registerWasmIdentityKernel,
  restoreWasmIdentityKernel,
  wasmIdentityKernelActive,
} from './wasm-identity-kernel.js';
export { registerWasmEqualKernel, restoreWasmEqualKernel, wasmEqualKernelActive } from './wasm-equal-kernel.js';
export {
  registerWasmTransposeKernel,
  restoreWasmTransposeKernel,
  wasmTransposeKernelActive,
  swapsLastTwoAxes,
} from './wasm-transpose-kernel.js';
export {
  KERNEL_OVERRIDES,
  registerWasmKernelOverrides,
  restoreWasmKernels,
  activeWasmKernelOverrides,
  type KernelOverrideName,
} from './wasm-kernel-overrides.js';
export { conv2DGradConfig } from './conv2d-grad.js';
export { conv2DBackpropInputGradConfig } from './conv2d-backprop-input-grad.js';
export { gatherV2GradConfig, gatherGradient } from './gather-v2-grad.js';
export {
  conv2dFilterGradient,
  conv2dInputGradient,
  type Conv2DStrides,
  type Conv2DPadding,
  type DimRoundingMode,
} from './conv2d-gradients.js';
