import * as tf from '@tensorflow/tfjs-core';
import type { ConcatAttrs, KernelConfig, KernelFunc, SplitVAttrs, TensorInfo } from '@tensorflow/tfjs-core';

/** What the kernels use of tfjs-backend-wasm's `BackendWasm` (public methods of that class). */
interface WasmBackendHeap {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(tensor: TensorInfo): Float32Array;
}

/**
 * Shortest contiguous run (elements per slice of one outer index) worth a typed-array `set`;
 * below it the wasm backend's own element loops are as fast.
 */
const MIN_RUN = 16;

const size = (shape: readonly number[]) => shape.reduce((x, y) => x * y, 1);

/** The wasm backend's own kernels, saved while ours are registered. */
const originals = new Map<string, KernelConfig>();

/**
 * Splitting along `axis` is, per index of the axes before it (`outer` of them), cutting one
 * contiguous run of `axisSize * inner` elements into runs of `size_i * inner`: each output
 * takes its run from every outer index with one typed-array copy. tfjs-backend-wasm 4.22 slices
 * element by element instead ([2048, 384] into 3 along axis 1: ~10 ms; here well under 1).
 */
const splitV: KernelFunc = (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  const { numOrSizeSplits, axis } = args.attrs as unknown as SplitVAttrs;
  const $axis = tf.util.parseAxisParam(axis, x.shape)[0]!;
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, $axis);
  const outer = size(x.shape.slice(0, $axis));
  const inner = size(x.shape.slice($axis + 1));
  if (x.dtype !== 'float32' || size(x.shape) === 0 || Math.min(...sizes) * inner < MIN_RUN)
    return originals.get(tf.SplitV)!.kernelFunc(args);
  const backend = args.backend as unknown as WasmBackendHeap;
  const outputs = sizes.map((s) =>
    backend.makeOutput(
      x.shape.map((d, i) => (i === $axis ? s : d)),
      'float32',
    ),
  );
  // One view of the whole heap, taken after every allocation (allocating may grow the heap and
  // detach earlier views); runs move with copyWithin, no per-run view objects.
  const heap = new Float32Array(backend.typedArrayFromHeap(x).buffer);
  const from = backend.typedArrayFromHeap(x).byteOffset / 4;
  const rowLength = x.shape[$axis]! * inner;
  let start = 0;
  sizes.forEach((s, i) => {
    const to = backend.typedArrayFromHeap(outputs[i]!).byteOffset / 4;
    const run = s * inner;
    for (let o = 0; o < outer; o++)
      heap.copyWithin(to + o * run, from + o * rowLength + start, from + o * rowLength + start + run);
    start += run;
  });
  return outputs;
};

/** The inverse of {@link splitV}: each input's run copied into place for every outer index. */
const concat: KernelFunc = (args) => {
  const inputs = (args.inputs as unknown as TensorInfo[]).filter((t) => size(t.shape) > 0);
  const { axis } = args.attrs as unknown as ConcatAttrs;
  const original = () => originals.get(tf.Concat)!.kernelFunc(args);
  if (inputs.length < 2 || inputs.some((t) => t.dtype !== 'float32')) return original();
  const $axis = tf.util.parseAxisParam(axis, inputs[0]!.shape)[0]!;
  const runs = inputs.map((t) => size(t.shape.slice($axis)));
  if (Math.min(...runs) < MIN_RUN) return original();
  const outShape = tf.backend_util.computeOutShape(
    inputs.map((t) => t.shape),
    $axis,
  );
  const backend = args.backend as unknown as WasmBackendHeap;
  const out = backend.makeOutput(outShape, 'float32');
  const heap = new Float32Array(backend.typedArrayFromHeap(out).buffer);
  const to = backend.typedArrayFromHeap(out).byteOffset / 4;
  const outer = size(outShape.slice(0, $axis));
  const rowLength = runs.reduce((x, y) => x + y, 0);
  let start = 0;
  inputs.forEach((input, i) => {
    const from = backend.typedArrayFromHeap(input).byteOffset / 4;
    const run = runs[i]!;
    for (let o = 0; o < outer; o++) heap.copyWithin(to + o * rowLength + start, from + o * run, from + (o + 1) * run);
    start += run;
  });
  return out;
};

const KERNELS: Record<'SplitV' | 'Concat', KernelFunc> = { SplitV: splitV, Concat: concat };

/**
 * Replaces the wasm backend's `SplitV` or `Concat` kernel, for float32 tensors whose pieces are
 * runs of at least 16 elements, by typed-array copies of whole runs (the backend's own copy
 * element by element). Attention's q/k/v split of the `[B*T, 3d]` projection and its gradient's
 * concat are the case that pays: ~6% of a d 128 GPT DPO step. Everything else goes to the
 * original kernel. Exact copies: results are bit-identical. Idempotent.
 * @returns whether the kernel is registered (false when the wasm backend is not loaded).
 */
export function registerWasmCopyKernel(name: 'SplitV' | 'Concat'): boolean {
  if (originals.has(name)) return true;
  const existing = tf.getKernel(name, 'wasm');
  if (existing === undefined) return false;
  originals.set(name, existing);
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: KERNELS[name] });
  return true;
}

/** Puts the wasm backend's own `SplitV` or `Concat` kernel back. Idempotent. */
export function restoreWasmCopyKernel(name: 'SplitV' | 'Concat'): void {
  const original = originals.get(name);
  if (original === undefined) return;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel(original);
  originals.delete(name);
}

/** Whether {@link registerWasmCopyKernel}'s kernel is the registered wasm `name`. */
export function wasmCopyKernelActive(name: 'SplitV' | 'Concat'): boolean {
  return originals.has(name) && tf.getKernel(name, 'wasm')?.kernelFunc === KERNELS[name];
}
