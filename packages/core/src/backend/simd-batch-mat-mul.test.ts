import { describe, expect, it } from 'vitest';
import { expectClose } from '../testing/expect-close.js';
import { SimdBatchMatMul, type BatchMatMulPlan } from './simd-batch-mat-mul.js';
import { signed, unsigned } from './wasm-encoding.js';

/** Deterministic values in [-1, 1) (a linear congruential sequence), so no tensor library is involved. */
function values(count: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length: count }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  });
}

/** C = op(A) op(B) in float64, straight from the definition, over the stored layouts of the plan. */
function reference(a: Float32Array, b: Float32Array, plan: BatchMatMulPlan): number[] {
  const { batchA, batchB, batch, m, k, n, transposeA, transposeB } = plan;
  const out = new Array<number>(batch * m * n).fill(0);
  for (let i = 0; i < batch; i++) {
    const aBase = (batchA === 1 ? 0 : i) * m * k;
    const bBase = (batchB === 1 ? 0 : i) * k * n;
    for (let r = 0; r < m; r++) {
      for (let c = 0; c < n; c++) {
        let sum = 0;
        for (let p = 0; p < k; p++) {
          const aValue = a[aBase + (transposeA ? p * m + r : r * k + p)]!;
          const bValue = b[bBase + (transposeB ? c * k + p : p * n + c)]!;
          sum += aValue * bValue;
        }
        out[(i * m + r) * n + c] = sum;
      }
    }
  }
  return out;
}

function run(simd: SimdBatchMatMul, plan: BatchMatMulPlan, seed: number): { actual: Float32Array; expected: number[] } {
  const a = values(plan.batchA * plan.m * plan.k, seed);
  const b = values(plan.batchB * plan.k * plan.n, seed + 1);
  const actual = new Float32Array(plan.batch * plan.m * plan.n).fill(Number.NaN);
  simd.multiply(a, b, actual, plan);
  return { actual, expected: reference(a, b, plan) };
}

const plan = (
  batchA: number,
  batchB: number,
  m: number,
  k: number,
  n: number,
  transposeA = false,
  transposeB = false,
): BatchMatMulPlan => ({
  batchA,
  batchB,
  batch: Math.max(batchA, batchB),
  m,
  k,
  n,
  transposeA,
  transposeB,
});

const CASES: [string, BatchMatMulPlan][] = [
  ['attention scores [128,64,32] x [128,32,64]', plan(128, 128, 64, 32, 64)],
  ['a whole tile [1,4,1] x [1,1,8]', plan(1, 1, 4, 1, 8)],
  ['rows and columns padded [3,5,7] x [3,7,3]', plan(3, 3, 5, 7, 3)],
  ['single row and column [2,1,9] x [2,9,1]', plan(2, 2, 1, 9, 1)],
  ['transposeA [2,6,5]^T x [2,6,9]', plan(2, 2, 5, 6, 9, true)],
  ['transposeB [2,5,6] x [2,9,6]^T', plan(2, 2, 5, 6, 9, false, true)],
  ['both transposed, padded', plan(3, 3, 7, 13, 10, true, true)],
  ['A shared by the batch [1,8,16] x [4,16,8]', plan(1, 4, 8, 16, 8)],
  ['B shared by the batch [4,6,16] x [1,16,12]^T', plan(4, 1, 6, 16, 12, false, true)],
  ['2-D transposed [33,17]^T x [33,20]', plan(1, 1, 17, 33, 20, true)],
];

describe('SimdBatchMatMul', () => {
  const simd = SimdBatchMatMul.create();

  it('compiles here (Node has WebAssembly SIMD)', () => {
    expect(simd).toBeDefined();
  });

  it.each(CASES)('matches the float64 definition for %s', (_, p) => {
    const { actual, expected } = run(simd!, p, 7);
    // float32 products summed in order over k <= 64 terms of size <= 1: error well under 1e-5.
    expectClose(actual, expected, { atol: 1e-5, rtol: 1e-5 });
  });

  it('grows its memory for a large product and stays correct for a small one after', () => {
    const before = simd!.memoryBytes;
    const large = run(simd!, plan(2, 2, 1024, 8, 1024), 3); // C alone is 8 MB
    expect(simd!.memoryBytes).toBeGreaterThan(before);
    expectClose(large.actual, large.expected, { atol: 1e-4, rtol: 1e-5 });
    // Padding of a small product after a large one: stale memory must not leak into the result.
    const small = run(simd!, plan(2, 2, 3, 5, 3, true, true), 4);
    expectClose(small.actual, small.expected, { atol: 1e-5, rtol: 1e-5 });
  });

  it('sums in float32 in order over k (exactly the sequential float32 dot product)', () => {
    const p = plan(1, 1, 1, 3, 1, false, true);
    // 1 + 2^-24 rounds to 1 in float32; then -1 gives 0. A different order would give 2^-24.
    const a = Float32Array.from([1, 2 ** -24, -1]);
    const b = Float32Array.from([1, 1, 1]);
    const out = new Float32Array(1);
    simd!.multiply(a, b, out, p);
    expect(out[0]).toBe(0);
  });
});

describe('LEB128 encodings (WebAssembly spec, Sec. 5.2.2)', () => {
  it('encodes unsigned and signed integers as the spec and DWARF examples', () => {
    expect(unsigned(0)).toEqual([0]);
    expect(unsigned(127)).toEqual([0x7f]);
    expect(unsigned(128)).toEqual([0x80, 0x01]);
    expect(unsigned(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(signed(-1)).toEqual([0x7f]);
    expect(signed(63)).toEqual([0x3f]);
    expect(signed(64)).toEqual([0xc0, 0x00]);
    expect(signed(-123456)).toEqual([0xc0, 0xbb, 0x78]);
  });
});
