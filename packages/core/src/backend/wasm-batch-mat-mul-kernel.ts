import * as tf from '@tensorflow/tfjs-core';
import type { BatchMatMulAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { sharedSimdBatchMatMul, type SimdBatchMatMul, type BatchMatMulPlan } from './simd-batch-mat-mul.js';

/** What the kernel uses of tfjs-backend-wasm's `BackendWasm` (public methods of that class). */
interface WasmBackendHeap {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(tensor: TensorInfo): Float32Array;
}

/** The wasm backend's own BatchMatMul kernel, saved while ours is registered. */
let original: KernelConfig | undefined;
let simd: SimdBatchMatMul | undefined;

const size = (shape: readonly number[]) => shape.reduce((x, y) => x * y, 1);

/**
 * The plan for `tf.matMul(a, b, transposeA, transposeB)` on the SIMD kernel, or undefined where
 * the wasm backend's own kernel is as good or the case is unusual: both operands one matrix and
 * untransposed (XNNPACK's fast path), an empty dimension, or batch axes that broadcast other
 * than one side holding a single matrix (`[2,1]` against `[1,3]`).
 */
export function planBatchMatMul(
  aShape: readonly number[],
  bShape: readonly number[],
  transposeA: boolean,
  transposeB: boolean,
): BatchMatMulPlan | undefined {
  const [aRows, aColumns] = aShape.slice(-2) as [number, number];
  const [bRows, bColumns] = bShape.slice(-2) as [number, number];
  const [m, k] = transposeA ? [aColumns, aRows] : [aRows, aColumns];
  const [kB, n] = transposeB ? [bColumns, bRows] : [bRows, bColumns];
  const batchA = size(aShape.slice(0, -2));
  const batchB = size(bShape.slice(0, -2));
  if (k !== kB || m * k * n === 0 || batchA * batchB === 0) return undefined;
  if (batchA === 1 && batchB === 1 && !transposeA && !transposeB) return undefined;
  const sameBatch = aShape.slice(0, -2).join() === bShape.slice(0, -2).join();
  if (!sameBatch && batchA !== 1 && batchB !== 1) return undefined;
  return { batchA, batchB, batch: Math.max(batchA, batchB), m, k, n, transposeA, transposeB };
}

const batchMatMul: KernelFunc = (args) => {
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttrs;
  const plan =
    a.dtype === 'float32' && b.dtype === 'float32'
      ? planBatchMatMul(a.shape, b.shape, transposeA, transposeB)
      : undefined;
  if (plan === undefined || simd === undefined) return original!.kernelFunc(args);
  const backend = args.backend as unknown as WasmBackendHeap;
  const outBatch = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  // Output first: allocating may grow the wasm heap, which detaches earlier views of it.
  const out = backend.makeOutput([...outBatch, plan.m, plan.n], 'float32');
  simd.multiply(backend.typedArrayFromHeap(a), backend.typedArrayFromHeap(b), backend.typedArrayFromHeap(out), plan);
  return out;
};

/**
 * Replaces the wasm backend's `BatchMatMul` kernel by one that runs batched and transposed
 * products on a hand-assembled WebAssembly SIMD kernel ({@link SimdBatchMatMul}, ~9-11 GFLOP/s
 * on one core) instead of tfjs-backend-wasm 4.22's scalar loop (~1-2 GFLOP/s: its XNNPACK path
 * takes only untransposed products of two single matrices). Those it still passes to the
 * original kernel, as it does dtypes other than float32 and unusual broadcasts.
 *
 * This is what makes attention fast on wasm: its score and context products are batched over
 * batch x heads, in the forward pass and, through the BatchMatMul gradient, in the backward one.
 * Same maths as every other backend; sums run in a different order than the original kernel's
 * blocked loop, so results agree to float32 rounding.
 *
 * Kernels are looked up per call, so this takes effect at once for every later op. Idempotent.
 * @returns whether the kernel is registered: false when the wasm backend is not loaded (its
 *   kernel is not registered) or this engine lacks WebAssembly SIMD.
 */
export function registerWasmBatchMatMulKernel(): boolean {
  if (original !== undefined) return true;
  const existing = tf.getKernel(tf.BatchMatMul, 'wasm');
  if (existing === undefined) return false;
  simd ??= sharedSimdBatchMatMul();
  if (simd === undefined) return false;
  original = existing;
  tf.unregisterKernel(tf.BatchMatMul, 'wasm');
  tf.registerKernel({ kernelName: tf.BatchMatMul, backendName: 'wasm', kernelFunc: batchMatMul });
  return true;
}

/** Puts the wasm backend's own BatchMatMul kernel back. Idempotent. */
export function restoreWasmBatchMatMulKernel(): void {
  if (original === undefined) return;
  tf.unregisterKernel(tf.BatchMatMul, 'wasm');
  tf.registerKernel(original);
  original = undefined;
}

/** Whether {@link registerWasmBatchMatMulKernel}'s kernel is the registered wasm BatchMatMul. */
export function wasmBatchMatMulKernelActive(): boolean {
  return original !== undefined && tf.getKernel(tf.BatchMatMul, 'wasm')?.kernelFunc === batchMatMul;
}
