import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, SumAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { sharedSimdBatchMatMul } from './simd-batch-mat-mul.js';

/** What the kernel uses of tfjs-backend-wasm's `BackendWasm` (public methods of that class). */
interface WasmBackendHeap {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(tensor: TensorInfo): Float32Array;
}

/** The wasm backend's own Sum kernel, saved while ours is registered. */
let original: KernelConfig | undefined;
/** A row of ones, reused while long enough. */
let ones = new Float32Array(0);

const size = (shape: readonly number[]) => shape.reduce((x, y) => x * y, 1);

/**
 * How many leading axes `tf.sum(x, axis)` reduces, when it reduces exactly the first p axes of
 * x and keeps at least one (a bias or layer-norm gradient: `[N, d] -> [d]`); undefined for any
 * other reduction.
 */
export function leadingReducedAxes(shape: readonly number[], axis: number | number[]): number | undefined {
  const axes = [...new Set(tf.util.parseAxisParam(axis, [...shape]))].sort((x, y) => x - y);
  if (axes.length === 0 || axes.length >= shape.length) return undefined;
  return axes.every((a, i) => a === i) ? axes.length : undefined;
}

const sum: KernelFunc = (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  const { axis, keepDims } = args.attrs as unknown as SumAttrs;
  const reduced = x.dtype === 'float32' ? leadingReducedAxes(x.shape, axis) : undefined;
  const simd = sharedSimdBatchMatMul();
  if (reduced === undefined || simd === undefined || size(x.shape) === 0) return original!.kernelFunc(args);
  const backend = args.backend as unknown as WasmBackendHeap;
  const rows = size(x.shape.slice(0, reduced));
  const columns = size(x.shape.slice(reduced));
  if (ones.length < rows) ones = new Float32Array(rows).fill(1);
  // [1, rows] x [rows, columns] -> [1, columns] on the SIMD kernel: each column summed over the
  // rows in order, in float32. (XNNPACK would repack x as a weight matrix on every call.)
  const out = backend.makeOutput([columns], 'float32');
  simd.multiply(ones, backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out), {
    batchA: 1,
    batchB: 1,
    batch: 1,
    m: 1,
    k: rows,
    n: columns,
    transposeA: false,
    transposeB: false,
  });
  out.shape = keepDims ? x.shape.map((d, i) => (i < reduced ? 1 : d)) : x.shape.slice(reduced);
  return out;
};

/**
 * Replaces the wasm backend's `Sum` kernel, for sums over leading axes only (`[N, d] -> [d]`:
 * every bias and layer-norm gain gradient), by the product `ones[1, N] x X[N, d]` on the SIMD
 * kernel of {@link SimdBatchMatMul}: tfjs-backend-wasm 4.22 transposes the reduced axes to the
 * end first, and its transpose and strided reduction take far longer. Every other reduction
 * goes to the original kernel.
 *
 * Same sum, in float32, over the rows in order.
 * Idempotent.
 * @returns whether the kernel is registered (false when the wasm backend is not loaded).
 */
export function registerWasmSumKernel(): boolean {
  if (original !== undefined) return true;
  const existing = tf.getKernel(tf.Sum, 'wasm');
  if (existing === undefined) return false;
  original = existing;
  tf.unregisterKernel(tf.Sum, 'wasm');
  tf.registerKernel({ kernelName: tf.Sum, backendName: 'wasm', kernelFunc: sum });
  return true;
}

/** Puts the wasm backend's own Sum kernel back. Idempotent. */
export function restoreWasmSumKernel(): void {
  if (original === undefined) return;
  tf.unregisterKernel(tf.Sum, 'wasm');
  tf.registerKernel(original);
  original = undefined;
}

/** Whether {@link registerWasmSumKernel}'s kernel is the registered wasm Sum. */
export function wasmSumKernelActive(): boolean {
  return original !== undefined && tf.getKernel(tf.Sum, 'wasm')?.kernelFunc === sum;
}
