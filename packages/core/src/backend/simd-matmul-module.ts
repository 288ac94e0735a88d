import { I32, PREAMBLE, SECTION, V128, name, op, section, unsigned, vector } from './wasm-encoding.js';

/** Rows of C computed together by the kernel: `m` must be a multiple of it. */
export const TILE_ROWS = 4;
/** Columns of C computed together (two f32x4 vectors): `n` must be a multiple of it. */
export const TILE_COLUMNS = 8;

/** The kernel's exported function, as JavaScript sees it. Pointers and strides are in bytes. */
export type SimdMatMulFunction = (
  a: number,
  b: number,
  c: number,
  batch: number,
  m: number,
  k: number,
  n: number,
  aBatchStride: number,
  bBatchStride: number,
) => void;

// Parameters, then i32 locals, then v128 locals (Sec. 5.5.13: locals follow parameters).
const [A, B, C, BATCH, M, K, N] = [0, 1, 2, 3, 4, 5, 6];
const [A_STRIDE, B_STRIDE] = [7, 8];
const PARAMETERS = 9;
const I32_LOCALS = [
  'k4',
  'k8',
  'k12',
  'n4',
  'n8',
  'n12',
  'aRow',
  'cRow',
  'row',
  'column',
  'aAt',
  'bAt',
  'p',
  'cAt',
] as const;
const local = Object.fromEntries(I32_LOCALS.map((key, i) => [key, PARAMETERS + i])) as Record<
  (typeof I32_LOCALS)[number],
  number
>;
const FIRST_V128 = PARAMETERS + I32_LOCALS.length;
/** Accumulators: row r of the tile, columns 0-3 in ACC[2r] and 4-7 in ACC[2r+1]. */
const ACC = Array.from({ length: 2 * TILE_ROWS }, (_, i) => FIRST_V128 + i);
const [B_LOW, B_HIGH, SPLAT] = [FIRST_V128 + ACC.length, FIRST_V128 + ACC.length + 1, FIRST_V128 + ACC.length + 2];
const V128_LOCALS = ACC.length + 3;

const { localGet: get, localSet: set, localTee: tee, i32Const: constant } = op;
/** `x = x + y` on i32 locals (or `x = x + constant` when `y` is given as bytes). */
const increment = (x: number, y: number | readonly number[]) => [
  ...get(x),
  ...(typeof y === 'number' ? get(y) : y),
  ...op.i32Add,
  ...set(x),
];
/** `target = base + offset` where offset is an i32 local, or the base alone for row 0. */
const plus = (base: number, offset: number | undefined) => [
  ...get(base),
  ...(offset === undefined ? [] : [...get(offset), ...op.i32Add]),
];

/**
 * One step of the inner (k) loop: B's row segment `[p, column .. column+8)` as two vectors,
 * and for each of the tile's 4 rows, `acc += splat(A[row, p]) * segment`.
 */
const innerStep = [
  ...get(local.bAt),
  ...op.v128Load(0),
  ...set(B_LOW),
  ...get(local.bAt),
  ...op.v128Load(16),
  ...set(B_HIGH),
  ...[undefined, local.k4, local.k8, local.k12].flatMap((offset, r) => [
    ...plus(local.aAt, offset),
    ...op.f32Load(0),
    ...op.f32x4Splat,
    ...set(SPLAT),
    ...get(ACC[2 * r]!),
    ...get(SPLAT),
    ...get(B_LOW),
    ...op.f32x4Mul,
    ...op.f32x4Add,
    ...set(ACC[2 * r]!),
    ...get(ACC[2 * r + 1]!),
    ...get(SPLAT),
    ...get(B_HIGH),
    ...op.f32x4Mul,
    ...op.f32x4Add,
    ...set(ACC[2 * r + 1]!),
  ]),
];

/** One 4 x 8 tile of C: zero the accumulators, run over k, store the tile. */
const tile = [
  ...ACC.flatMap((acc) => [...op.v128Zero, ...set(acc)]),
  ...get(local.aRow),
  ...set(local.aAt),
  ...get(B),
  ...get(local.column),
  ...op.i32Add,
  ...set(local.bAt),
  ...get(K),
  ...set(local.p),
  ...op.loop([
    ...innerStep,
    ...increment(local.aAt, constant(4)),
    ...increment(local.bAt, local.n4),
    ...get(local.p),
    ...constant(1),
    ...op.i32Sub,
    ...tee(local.p),
    ...op.brIf(0),
  ]),
  ...get(local.cRow),
  ...get(local.column),
  ...op.i32Add,
  ...set(local.cAt),
  ...[undefined, local.n4, local.n8, local.n12].flatMap((offset, r) => [
    ...plus(local.cAt, offset),
    ...get(ACC[2 * r]!),
    ...op.v128Store(0),
    ...plus(local.cAt, offset),
    ...get(ACC[2 * r + 1]!),
    ...op.v128Store(16),
  ]),
];

/** The function body: batch loop > row-tile loop > column-tile loop > tile. */
const body = [
  ...get(K),
  ...constant(4),
  ...op.i32Mul,
  ...set(local.k4),
  ...get(local.k4),
  ...get(local.k4),
  ...op.i32Add,
  ...set(local.k8),
  ...get(local.k8),
  ...get(local.k4),
  ...op.i32Add,
  ...set(local.k12),
  ...get(N),
  ...constant(4),
  ...op.i32Mul,
  ...set(local.n4),
  ...get(local.n4),
  ...get(local.n4),
  ...op.i32Add,
  ...set(local.n8),
  ...get(local.n8),
  ...get(local.n4),
  ...op.i32Add,
  ...set(local.n12),
  ...op.loop([
    ...get(A),
    ...set(local.aRow),
    ...get(C),
    ...set(local.cRow),
    ...constant(0),
    ...set(local.row),
    ...op.loop([
      ...constant(0),
      ...set(local.column),
      ...op.loop([
        ...tile,
        // column += 8 floats (32 bytes) while column < n (bytes)
        ...get(local.column),
        ...constant(4 * TILE_COLUMNS),
        ...op.i32Add,
        ...tee(local.column),
        ...get(local.n4),
        ...op.i32LtU,
        ...op.brIf(0),
      ]),
      ...get(local.aRow),
      ...get(local.k4),
      ...constant(TILE_ROWS),
      ...op.i32Mul,
      ...op.i32Add,
      ...set(local.aRow),
      ...get(local.cRow),
      ...get(local.n4),
      ...constant(TILE_ROWS),
      ...op.i32Mul,
      ...op.i32Add,
      ...set(local.cRow),
      ...get(local.row),
      ...constant(TILE_ROWS),
      ...op.i32Add,
      ...tee(local.row),
      ...get(M),
      ...op.i32LtU,
      ...op.brIf(0),
    ]),
    ...increment(A, A_STRIDE),
    ...increment(B, B_STRIDE),
    // C's rows follow on: the next batch entry starts where this one's last row tile ended.
    ...get(local.cRow),
    ...set(C),
    ...get(BATCH),
    ...constant(1),
    ...op.i32Sub,
    ...tee(BATCH),
    ...op.brIf(0),
  ]),
  ...op.end,
];

/**
 * The bytes of a WebAssembly module (SIMD) that exports `matmul(a, b, c, batch, m, k, n,
 * aBatchStride, bBatchStride)` over the memory it imports as `env.memory`:
 * `C[i] = A[i] B[i]` for i < batch, with A[i] `[m, k]` at `a + i * aBatchStride`, B[i] `[k, n]`
 * at `b + i * bBatchStride` (a stride of 0 broadcasts one matrix over the batch), C[i] `[m, n]`
 * at `c + i * m * n * 4`, all row-major float32, pointers and strides in bytes.
 *
 * Requires batch, m, k, n >= 1, `m % 4 == 0` and `n % 8 == 0` (callers pad). Each 4 x 8 tile of
 * C is held in eight f32x4 registers over the whole k loop: per k, two vector loads of B, four
 * scalar loads of A, and 32 multiply-adds. Sums run over k in order (p = 0, 1, ...), one
 * product rounded at a time, so results match a float32 dot product in that order.
 */
export function simdMatMulModule(): Uint8Array {
  const signature = [0x60, ...vector(new Array<number[]>(PARAMETERS).fill([I32])), ...vector([])];
  const locals = vector([
    [...unsigned(I32_LOCALS.length), I32],
    [...unsigned(V128_LOCALS), V128],
  ]);
  const code = [...locals, ...body];
  return new Uint8Array([
    ...PREAMBLE,
    ...section(SECTION.type, vector([signature])),
    // import env.memory: kind 2 (memory), limits flag 0 (min only), min 1 page
    ...section(SECTION.import, vector([[...name('env'), ...name('memory'), 0x02, 0x00, ...unsigned(1)]])),
    ...section(SECTION.function, vector([unsigned(0)])),
    ...section(SECTION.export, vector([[...name('matmul'), 0x00, ...unsigned(0)]])),
    ...section(SECTION.code, vector([[...unsigned(code.length), ...code]])),
  ]);
}
