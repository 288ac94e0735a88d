import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

/** What the kernel uses of tfjs-backend-wasm's `BackendWasm` (a public method of that class). */
interface WasmBackendRefCount {
  incRef(dataId: object): void;
}

/** The wasm backend's own Identity kernel, saved while ours is registered. */
let original: KernelConfig | undefined;

/**
 * Identity that shares its input's data (one more reference) instead of copying it, as the cpu
 * and webgl backends' Identity kernels do; tensors are immutable, so sharing is safe, and wasm's
 * own Reshape shares the same way. tfjs clones every tensor a gradient saves for the backward
 * pass through this kernel: on a d 128 GPT DPO step, ~400 copies (~3% of the step).
 * Strings go to the original kernel.
 */
const identity: KernelFunc = (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  if (x.dtype === 'string') return original!.kernelFunc(args);
  (args.backend as unknown as WasmBackendRefCount).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

/**
 * Replaces the wasm backend's `Identity` kernel by one that shares data (see `identity`).
 * Results are bit-identical. Idempotent.
 * @returns whether the kernel is registered (false when the wasm backend is not loaded).
 */
export function registerWasmIdentityKernel(): boolean {
  if (original !== undefined) return true;
  const existing = tf.getKernel(tf.Identity, 'wasm');
  if (existing === undefined) return false;
  original = existing;
  tf.unregisterKernel(tf.Identity, 'wasm');
  tf.registerKernel({ kernelName: tf.Identity, backendName: 'wasm', kernelFunc: identity });
  return true;
}

/** Puts the wasm backend's own Identity kernel back. Idempotent. */
export function restoreWasmIdentityKernel(): void {
  if (original === undefined) return;
  tf.unregisterKernel(tf.Identity, 'wasm');
  tf.registerKernel(original);
  original = undefined;
}

/** Whether {@link registerWasmIdentityKernel}'s kernel is the registered wasm Identity. */
export function wasmIdentityKernelActive(): boolean {
  return original !== undefined && tf.getKernel(tf.Identity, 'wasm')?.kernelFunc === identity;
}
