import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

/** What the kernel uses of tfjs-backend-wasm's `BackendWasm` (public methods of that class). */
interface WasmBackendHeap {
  makeOutput(shape: number[], dtype: 'bool'): TensorInfo;
  typedArrayFromHeap(tensor: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** The wasm backend's own Equal kernel, saved while ours is registered. */
let original: KernelConfig | undefined;

const size = (shape: readonly number[]) => shape.reduce((x, y) => x * y, 1);

/**
 * How `b` broadcasts against `a` in the cases handled here: 'same' shapes, or 'rows' when b is
 * a with its last axis 1 (`[N, V]` against `[N, 1]`: one value per row); undefined otherwise.
 */
function layout(a: readonly number[], b: readonly number[]): 'same' | 'rows' | undefined {
  if (a.join() === b.join()) return 'same';
  const rank = a.length;
  if (rank >= 1 && b.length === rank && b[rank - 1] === 1 && a.slice(0, -1).join() === b.slice(0, -1).join())
    return 'rows';
  return undefined;
}

/**
 * Element-wise `a == b` as a plain loop over the wasm heap, for equal shapes and for one value
 * per row (`[N, V] == [N, 1]`, what tfjs's max/logSumExp gradient asks to mask the maxima).
 * tfjs-backend-wasm 4.22 runs Equal through a generic broadcasting loop at hundreds of ns per
 * element: a [2048, 96] == [2048, 1] took ~28 ms of a d 128 GPT DPO step on a quiet machine.
 */
const equal: KernelFunc = (args) => {
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  const numeric = (t: TensorInfo) => t.dtype === 'float32' || t.dtype === 'int32';
  // Equality is symmetric: whichever operand holds the full shape goes first.
  const [first, second] = layout(a.shape, b.shape) !== undefined ? [a, b] : [b, a];
  const how = layout(first.shape, second.shape);
  if (how === undefined || !numeric(a) || a.dtype !== b.dtype || size(first.shape) === 0)
    return original!.kernelFunc(args);
  const backend = args.backend as unknown as WasmBackendHeap;
  const out = backend.makeOutput([...first.shape], 'bool');
  const x = backend.typedArrayFromHeap(first);
  const y = backend.typedArrayFromHeap(second);
  const result = backend.typedArrayFromHeap(out);
  if (how === 'same') {
    for (let i = 0; i < x.length; i++) result[i] = x[i] === y[i] ? 1 : 0;
  } else {
    const columns = first.shape[first.shape.length - 1]!;
    for (let row = 0, i = 0; row < y.length; row++) {
      const value = y[row];
      for (let c = 0; c < columns; c++, i++) result[i] = x[i] === value ? 1 : 0;
    }
  }
  return out;
};

/**
 * Replaces the wasm backend's `Equal` kernel, for float32 or int32 operands of equal shapes or
 * with one value per row, by a loop over the heap (see `equal`); every other case goes to
 * the original kernel. Exact: results are bit-identical. Idempotent.
 * @returns whether the kernel is registered (false when the wasm backend is not loaded).
 */
export function registerWasmEqualKernel(): boolean {
  if (original !== undefined) return true;
  const existing = tf.getKernel(tf.Equal, 'wasm');
  if (existing === undefined) return false;
  original = existing;
  tf.unregisterKernel(tf.Equal, 'wasm');
  tf.registerKernel({ kernelName: tf.Equal, backendName: 'wasm', kernelFunc: equal });
  return true;
}

/** Puts the wasm backend's own Equal kernel back. Idempotent. */
export function restoreWasmEqualKernel(): void {
  if (original === undefined) return;
  tf.unregisterKernel(tf.Equal, 'wasm');
  tf.registerKernel(original);
  original = undefined;
}

/** Whether {@link registerWasmEqualKernel}'s kernel is the registered wasm Equal. */
export function wasmEqualKernelActive(): boolean {
  return original !== undefined && tf.getKernel(tf.Equal, 'wasm')?.kernelFunc === equal;
}
