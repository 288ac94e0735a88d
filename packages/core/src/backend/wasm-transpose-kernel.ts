import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo, TransposeAttrs } from '@tensorflow/tfjs-core';
import { TRANSPOSE_BLOCK, simdTransposeModule, type TransposeFunction } from './simd-transpose-module.js';

/** What the kernel uses of tfjs-backend-wasm's `BackendWasm` (public methods of that class). */
interface WasmBackendHeap {
  makeOutput(shape: number[], dtype: 'float32' | 'int32'): TensorInfo;
  typedArrayFromHeap(tensor: TensorInfo): Float32Array | Int32Array;
}

/** The parts of the WebAssembly JS API used here (core's `lib` setting has no WebAssembly types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (
    module: object,
    imports: Record<string, Record<string, unknown>>,
  ) => { exports: Record<string, unknown> };
}
const WebAssemblyApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The wasm backend's own Transpose kernel, saved while ours is registered. */
let original: KernelConfig | undefined;
let kernel: { memory: WasmMemory; transpose: TransposeFunction } | undefined;

const size = (shape: readonly number[]) => shape.reduce((x, y) => x * y, 1);

/**
 * Whether `perm` swaps the last two axes and keeps the others in place (`[1, 0]`, `[0, 2, 1]`,
 * ...): a batch of matrix transposes, which is what matmul gradients ask for.
 */
export function swapsLastTwoAxes(perm: readonly number[]): boolean {
  const rank = perm.length;
  if (rank < 2 || perm[rank - 2] !== rank - 1 || perm[rank - 1] !== rank - 2) return false;
  return perm.slice(0, -2).every((axis, i) => axis === i);
}

function compile(): { memory: WasmMemory; transpose: TransposeFunction } {
  const memory = new WebAssemblyApi.Memory({ initial: 16 });
  const instance = new WebAssemblyApi.Instance(new WebAssemblyApi.Module(simdTransposeModule()), { env: { memory } });
  return { memory, transpose: instance.exports.transpose as TransposeFunction };
}

/**
 * Matrix transposes (`[..., r, c] -> [..., c, r]`, r and c multiples of 4, 4-byte dtypes) in
 * 4 x 4 blocks in a WebAssembly memory of its own (operand copied in and the result out: a
 * memcpy each). tfjs-backend-wasm 4.22 writes a row-by-row transpose one float per cache line:
 * a [2048, 512] transpose ~3x slower. Every other permutation goes to the original kernel.
 */
const transpose: KernelFunc = (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  const { perm } = args.attrs as unknown as TransposeAttrs;
  const [rows, columns] = x.shape.slice(-2) as [number, number];
  const fits =
    (x.dtype === 'float32' || x.dtype === 'int32') &&
    swapsLastTwoAxes(perm) &&
    rows % TRANSPOSE_BLOCK === 0 &&
    columns % TRANSPOSE_BLOCK === 0;
  if (!fits || size(x.shape) === 0) return original!.kernelFunc(args);
  kernel ??= compile();
  const count = size(x.shape);
  const missing = 2 * count * 4 - kernel.memory.buffer.byteLength;
  if (missing > 0) kernel.memory.grow(Math.ceil(missing / 65536));
  const backend = args.backend as unknown as WasmBackendHeap;
  const out = backend.makeOutput([...x.shape.slice(0, -2), columns, rows], x.dtype as 'float32' | 'int32');
  // Bytes, not values: the same copies serve float32 and int32.
  const heap = new Int32Array(kernel.memory.buffer);
  heap.set(new Int32Array(backend.typedArrayFromHeap(x).buffer, backend.typedArrayFromHeap(x).byteOffset, count));
  kernel.transpose(0, count * 4, count / (rows * columns), rows, columns);
  new Int32Array(backend.typedArrayFromHeap(out).buffer, backend.typedArrayFromHeap(out).byteOffset, count).set(
    heap.subarray(count, 2 * count),
  );
  return out;
};

/**
 * Replaces the wasm backend's `Transpose` kernel for batches of matrix transposes (see
 * `transpose`); exact, results are bit-identical. Idempotent.
 * @returns whether the kernel is registered (false when the wasm backend is not loaded).
 */
export function registerWasmTransposeKernel(): boolean {
  if (original !== undefined) return true;
  const existing = tf.getKernel(tf.Transpose, 'wasm');
  if (existing === undefined) return false;
  original = existing;
  tf.unregisterKernel(tf.Transpose, 'wasm');
  tf.registerKernel({ kernelName: tf.Transpose, backendName: 'wasm', kernelFunc: transpose });
  return true;
}

/** Puts the wasm backend's own Transpose kernel back. Idempotent. */
export function restoreWasmTransposeKernel(): void {
  if (original === undefined) return;
  tf.unregisterKernel(tf.Transpose, 'wasm');
  tf.registerKernel(original);
  original = undefined;
}

/** Whether {@link registerWasmTransposeKernel}'s kernel is the registered wasm Transpose. */
export function wasmTransposeKernelActive(): boolean {
  return original !== undefined && tf.getKernel(tf.Transpose, 'wasm')?.kernelFunc === transpose;
}
