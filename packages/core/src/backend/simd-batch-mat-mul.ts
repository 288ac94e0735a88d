import { TILE_COLUMNS, TILE_ROWS, simdMatMulModule, type SimdMatMulFunction } from './simd-matmul-module.js';

/** The shapes of one batched product `C[i] = op(A[i]) op(B[i])`, op a transpose where flagged. */
export interface BatchMatMulPlan {
  /** Matrices stored in A: 1 (shared by the batch) or `batch`. */
  readonly batchA: number;
  /** Matrices stored in B: 1 (shared by the batch) or `batch`. */
  readonly batchB: number;
  /** Products computed: max(batchA, batchB). */
  readonly batch: number;
  /** Rows of op(A) and of C. */
  readonly m: number;
  /** Columns of op(A), rows of op(B). */
  readonly k: number;
  /** Columns of op(B) and of C. */
  readonly n: number;
  /** A is stored `[batchA, k, m]` (its transpose is used) instead of `[batchA, m, k]`. */
  readonly transposeA: boolean;
  /** B is stored `[batchB, n, k]` instead of `[batchB, k, n]`. */
  readonly transposeB: boolean;
}

/** The parts of the WebAssembly JS API used here (core's `lib` setting has no WebAssembly types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (
    module: object,
    imports: Record<string, Record<string, unknown>>,
  ) => { exports: Record<string, unknown> };
}
const WebAssemblyApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const roundUp = (value: number, multiple: number) => Math.ceil(value / multiple) * multiple;
const PAGE_BYTES = 65536;

/**
 * Copies `count` row-major `[rows, columns]` matrices from `source` into `target` at `offset`
 * as `[rows (padded to paddedRows), columns (padded to paddedColumns)]`, transposing each first
 * when `transpose` (then `source` holds `[columns, rows]` matrices). Padding is zero.
 */
function pack(
  target: Float32Array,
  offset: number,
  source: Float32Array,
  count: number,
  rows: number,
  columns: number,
  paddedRows: number,
  paddedColumns: number,
  transpose: boolean,
): void {
  const padded = paddedRows !== rows || paddedColumns !== columns;
  if (!transpose && !padded) {
    target.set(source.subarray(0, count * rows * columns), offset);
    return;
  }
  const packedSize = paddedRows * paddedColumns;
  if (padded) target.fill(0, offset, offset + count * packedSize);
  for (let matrix = 0; matrix < count; matrix++) {
    const from = matrix * rows * columns;
    const to = offset + matrix * packedSize;
    if (!transpose) {
      for (let r = 0; r < rows; r++)
        target.set(source.subarray(from + r * columns, from + (r + 1) * columns), to + r * paddedColumns);
      continue;
    }
    // source matrix is [columns, rows]: element (r, c) of the packed one is source[c * rows + r]
    for (let c = 0; c < columns; c++) {
      const sourceRow = from + c * rows;
      for (let r = 0; r < rows; r++) target[to + r * paddedColumns + c] = source[sourceRow + r]!;
    }
  }
}

/**
 * Batched float32 matrix products on the hand-assembled SIMD kernel of
 * `simdMatMulModule`, in a WebAssembly memory of its own: operands are copied in (with
 * their transposes materialised and rows and columns zero-padded to the kernel's 4 x 8 tile),
 * multiplied, and the result copied out. The copies cost a few percent of the product for the
 * shapes attention uses (one pass over each operand, against m, k or n passes).
 *
 * Numerics: each entry of C is the float32 sum over p = 0 .. k-1, in order, of the float32
 * products (no fused multiply-add); zero padding adds exact zeros.
 */
export class SimdBatchMatMul {
  private readonly memory: WasmMemory;
  private readonly kernel: SimdMatMulFunction;
  private heap: Float32Array;

  private constructor(memory: WasmMemory, kernel: SimdMatMulFunction) {
    this.memory = memory;
    this.kernel = kernel;
    this.heap = new Float32Array(memory.buffer);
  }

  /**
   * Compiles the kernel (synchronously: the module is under 1 KB). Returns undefined where this
   * WebAssembly engine lacks fixed-width SIMD (the module does not validate).
   */
  static create(): SimdBatchMatMul | undefined {
    const bytes = simdMatMulModule();
    if (!WebAssemblyApi.validate(bytes)) return undefined;
    const memory = new WebAssemblyApi.Memory({ initial: 16 });
    const instance = new WebAssemblyApi.Instance(new WebAssemblyApi.Module(bytes), { env: { memory } });
    return new SimdBatchMatMul(memory, instance.exports.matmul as SimdMatMulFunction);
  }

  /** Bytes of WebAssembly memory held (grows to the largest product seen; never shrinks). */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /**
   * Writes `C[i] = op(A[i]) op(B[i])` for every i < plan.batch into `out` (row-major
   * `[batch, m, n]`); `a` and `b` hold the stored matrices the plan describes. All of m, k, n
   * and the batches must be >= 1.
   */
  multiply(a: Float32Array, b: Float32Array, out: Float32Array, plan: BatchMatMulPlan): void {
    const { batchA, batchB, batch, m, k, n, transposeA, transposeB } = plan;
    const mPadded = roundUp(m, TILE_ROWS);
    const nPadded = roundUp(n, TILE_COLUMNS);
    const aOffset = 0;
    const bOffset = aOffset + batchA * mPadded * k;
    const cOffset = bOffset + batchB * k * nPadded;
    this.reserve((cOffset + batch * mPadded * nPadded) * 4);
    const heap = this.heap;
    pack(heap, aOffset, a, batchA, m, k, mPadded, k, transposeA);
    pack(heap, bOffset, b, batchB, k, n, k, nPadded, transposeB);
    const aStride = batchA === 1 ? 0 : mPadded * k * 4;
    const bStride = batchB === 1 ? 0 : k * nPadded * 4;
    this.kernel(aOffset * 4, bOffset * 4, cOffset * 4, batch, mPadded, k, nPadded, aStride, bStride);
    if (mPadded === m && nPadded === n) {
      out.set(heap.subarray(cOffset, cOffset + batch * m * n));
      return;
    }
    for (let matrix = 0; matrix < batch; matrix++) {
      for (let r = 0; r < m; r++) {
        const from = cOffset + (matrix * mPadded + r) * nPadded;
        out.set(heap.subarray(from, from + n), (matrix * m + r) * n);
      }
    }
  }

  /** Grows the memory to at least `bytes` and refreshes the view. */
  private reserve(bytes: number): void {
    const missing = bytes - this.memory.buffer.byteLength;
    if (missing > 0) this.memory.grow(Math.ceil(missing / PAGE_BYTES));
    if (this.heap.buffer !== this.memory.buffer) this.heap = new Float32Array(this.memory.buffer);
  }
}

let shared: SimdBatchMatMul | null | undefined;

/**
 * The process's one {@link SimdBatchMatMul} (created on first use; its memory is reused by every
 * kernel that multiplies through it), or undefined where WebAssembly SIMD is missing.
 */
export function sharedSimdBatchMatMul(): SimdBatchMatMul | undefined {
  if (shared === undefined) shared = SimdBatchMatMul.create() ?? null;
  return shared ?? undefined;
}
