import * as tf from '@tensorflow/tfjs-core';
import { wasmBatchMatMulKernelActive } from './wasm-batch-mat-mul-kernel.js';

/**
 * A matrix operand of a product, possibly the transpose of a stored tensor: its value is
 * `tensor` when `transposed` is false and `tensor` with its last two axes swapped otherwise.
 * Keeping the transpose lazy lets {@link matMulSummedTo} pick the layout that costs least:
 * often a free reshape of the stored tensor followed by one small 2-D transpose.
 */
export interface MatrixOperand {
  /** Stored tensor, rank >= 2: [...batch, rows, columns] (of the transpose when `transposed`). */
  readonly tensor: tf.Tensor;
  /** Whether the operand is the transpose (last two axes) of `tensor`. */
  readonly transposed: boolean;
}

/**
 * Per-batch work (m * k * n multiply-adds) from which a batched product of two batched operands
 * runs as one 2-D matmul per batch entry rather than as one BatchMatMul call, on backends
 * without dpo-ts's SIMD BatchMatMul kernel (wasm with it never splits). Measured on wasm
 * (2 vCPU, 1 thread, tfjs 4.22): [16,128,128]x[16,128,128] 56 ms batched vs 29 ms split,
 * [4,256,128]x[4,128,256] 114 ms vs 17 ms; below this size the per-call overhead of the fast
 * path wins back nothing ([64,64,32]x[64,32,64]: 31 ms batched vs 74 ms split;
 * [16,64,128]x[16,128,128]: 27 ms both ways).
 */
export const SPLIT_BATCH_MIN_WORK = 128 * 128 * 128;

/** `t` as a plain operand. */
export const asIs = (tensor: tf.Tensor): MatrixOperand => ({ tensor, transposed: false });
/** The transpose of `t` (last two axes) as a lazy operand. */
export const transposeOf = (tensor: tf.Tensor): MatrixOperand => ({ tensor, transposed: true });

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const dims = (t: tf.Tensor): [number, number] => [t.shape[t.rank - 2]!, t.shape[t.rank - 1]!];

/** Rows and columns of the operand's value (after its lazy transpose). */
function matrixDims(operand: MatrixOperand): [number, number] {
  const [r, c] = dims(operand.tensor);
  return operand.transposed ? [c, r] : [r, c];
}

const batchOf = (operand: MatrixOperand): number[] => operand.tensor.shape.slice(0, -2);

/**
 * Swaps the last two axes of `x` ([...batch, r, c] -> [...batch, c, r]) as a materialised copy.
 * Ranks above 3 are flattened to rank 3 first: wasm's Transpose is ~75x slower at rank 5 than
 * at rank 4. The caller owns the result.
 */
export function transposeLastTwo(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    if (x.rank === 2) return tf.transpose(x);
    if (x.rank === 3) return tf.transpose(x, [0, 2, 1]);
    const batch = x.shape.slice(0, -2);
    const [r, c] = dims(x);
    const swapped = tf.transpose(tf.reshape(x, [size(batch), r, c]), [0, 2, 1]);
    return tf.reshape(swapped, [...batch, c, r]);
  });
}

/** The operand's value as a tensor (copies only when the transpose is pending). */
const materialize = (operand: MatrixOperand): tf.Tensor =>
  operand.transposed ? transposeLastTwo(operand.tensor) : operand.tensor;

/** The operand's value as rows stacked over its batch: [batch * r, c]. */
function stackedRows(operand: MatrixOperand): tf.Tensor {
  const [r, c] = matrixDims(operand);
  return tf.reshape(materialize(operand), [size(batchOf(operand)) * r, c]);
}

/** The operand's value as columns side by side over its batch: [r, batch * c]. */
function sideBySideColumns(operand: MatrixOperand): tf.Tensor {
  const [r, c] = matrixDims(operand);
  const batch = size(batchOf(operand));
  // Transposed operand: stored [batch, c, r]; its rows stacked are exactly the columns we want.
  if (operand.transposed) return tf.transpose(tf.reshape(operand.tensor, [batch * c, r]));
  return tf.reshape(tf.transpose(tf.reshape(operand.tensor, [batch, r, c]), [1, 0, 2]), [r, batch * c]);
}

/** Broadcasts the operand's value to `[...batch, r, c]` and returns it as a plain operand. */
function broadcastOperand(operand: MatrixOperand, batch: readonly number[]): MatrixOperand {
  const [r, c] = matrixDims(operand);
  const value = materialize(operand);
  const target = [...batch, r, c];
  return asIs(value.shape.join() === target.join() ? value : tf.broadcastTo(value, target));
}

/**
 * x * y with batch broadcasting, using the layouts that wasm runs on its fast path (XNNPACK
 * takes only a non-transposed, batch-1 product): when one side has batch size 1, the other
 * side's batch is folded into the rows (right side constant) or columns (left side constant) of
 * one 2-D matmul. Returns [...outBatch, m, n].
 */
function matMulBroadcast(x: MatrixOperand, y: MatrixOperand, outBatch: readonly number[]): tf.Tensor {
  const [m, k] = matrixDims(x);
  const [, n] = matrixDims(y);
  const xBatch = size(batchOf(x));
  const yBatch = size(batchOf(y));
  if (yBatch === 1) {
    // [xBatch * m, k] x [k, n] -> [xBatch * m, n]
    const product = tf.matMul(stackedRows(x), tf.reshape(materialize(y), [k, n]));
    return tf.reshape(product, [...outBatch, m, n]);
  }
  if (xBatch === 1) {
    // [m, k] x [k, yBatch * n] -> [m, yBatch, n] -> [yBatch, m, n]
    const product = tf.matMul(tf.reshape(materialize(x), [m, k]), sideBySideColumns(y));
    return tf.reshape(tf.transpose(tf.reshape(product, [m, yBatch, n]), [1, 0, 2]), [...outBatch, m, n]);
  }
  const batch = size(outBatch);
  if (xBatch !== batch || yBatch !== batch || batchOf(x).join() !== batchOf(y).join()) {
    // Partial broadcasting ([B,H] against [H], [2,1] against [1,3]): rare; make both full.
    return matMulBroadcast(broadcastOperand(x, outBatch), broadcastOperand(y, outBatch), outBatch);
  }
  // With dpo-ts's SIMD kernel on wasm, one batched call beats per-entry matmuls at every size.
  if (m * k * n >= SPLIT_BATCH_MIN_WORK && !(tf.getBackend() === 'wasm' && wasmBatchMatMulKernelActive())) {
    const xs = tf.unstack(tf.reshape(materialize(x), [batch, m, k]));
    const ys = tf.unstack(tf.reshape(materialize(y), [batch, k, n]));
    return tf.reshape(tf.stack(xs.map((xi, i) => tf.matMul(xi, ys[i]!))), [...outBatch, m, n]);
  }
  // Small per-batch matrices: one batched call. Its slow path costs the same with or without
  // transposed operands, so pass the pending transposes as flags instead of copying.
  const [xr, xc] = dims(x.tensor);
  const [yr, yc] = dims(y.tensor);
  const product = tf.matMul(
    tf.reshape(x.tensor, [batch, xr, xc]),
    tf.reshape(y.tensor, [batch, yr, yc]),
    x.transposed,
    y.transposed,
  );
  return tf.reshape(product, [...outBatch, m, n]);
}

/**
 * sum over the batch of x_b * y_b, as one 2-D matmul: the batch is folded into the contracted
 * axis, [m, batch * k] x [batch * k, n]. This is the weight gradient of a batched input times a
 * shared weight matrix (dW = sum_b x_b^T dy_b), which then runs on wasm's fast path.
 * Returns [m, n].
 */
function matMulContracted(x: MatrixOperand, y: MatrixOperand, outBatch: readonly number[]): tf.Tensor {
  const full = (operand: MatrixOperand): MatrixOperand =>
    batchOf(operand).join() === outBatch.join() ? operand : broadcastOperand(operand, outBatch);
  // [m, batch * k] x [batch * k, n] -> [m, n]
  return tf.matMul(sideBySideColumns(full(x)), stackedRows(full(y)));
}

/**
 * The product x * y of two lazily transposed operands, batch-broadcast as tf.matMul does, then
 * summed over the batch axes that `targetBatch` broadcasts (the gradient of a broadcast operand
 * is the sum over the copies). Every matmul it issues is non-transposed; one side of each is
 * 2-D whenever the batch allows, which is the only form wasm runs on XNNPACK.
 *
 * Shapes: x [...xBatch, m, k], y [...yBatch, k, n] (values, after the lazy transposes);
 * `targetBatch` broadcasts to broadcast(xBatch, yBatch). Returns [...targetBatch, m, n]; the
 * caller owns it.
 */
export function matMulSummedTo(x: MatrixOperand, y: MatrixOperand, targetBatch: readonly number[]): tf.Tensor {
  return tf.tidy(() => {
    const [m, k] = matrixDims(x);
    const [ky, n] = matrixDims(y);
    if (k !== ky) throw new Error(`matMulSummedTo: inner dimensions differ: ${k} and ${ky}`);
    const outBatch = tf.broadcast_util.assertAndGetBroadcastShape(batchOf(x), batchOf(y));
    const outSize = size(outBatch);
    const targetSize = size(targetBatch);
    const resultShape = [...targetBatch, m, n];
    if (targetSize === outSize) return tf.reshape(matMulBroadcast(x, y, outBatch), resultShape);
    if (targetSize === 1) return tf.reshape(matMulContracted(x, y, outBatch), resultShape);
    // Partly broadcast target ([1,H] against [B,H]): full product, then sum the copies.
    const full = matMulBroadcast(x, y, outBatch);
    const padded = [...new Array<number>(outBatch.length - targetBatch.length).fill(1), ...targetBatch];
    const axes = outBatch.flatMap((d, i) => (padded[i] === 1 && d !== 1 ? [i] : []));
    return tf.reshape(tf.sum(full, axes), resultShape);
  });
}
