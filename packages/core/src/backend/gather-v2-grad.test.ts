import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectClose } from '../testing/expect-close.js';
import { expectNoLeak } from '../testing/expect-no-leak.js';
import { registerGradientOverrides, restoreDefaultGradients } from './gradient-overrides.js';
import { selectBackend } from './select-backend.js';

interface Case {
  readonly name: string;
  readonly x: number[];
  readonly indices: number[][] | number[];
  readonly axis: number;
  readonly batchDims: number;
}

// Embedding lookups with repeated ids (the same token several times in a batch), plus other axes.
const CASES: Case[] = [
  { name: 'embedding table, 1-D ids with repeats', x: [10, 6], indices: [1, 3, 3, 0, 9, 1, 1], axis: 0, batchDims: 0 },
  {
    name: 'embedding table, [batch, seq] ids',
    x: [7, 5],
    indices: [
      [0, 6, 6, 2],
      [2, 2, 0, 5],
    ],
    axis: 0,
    batchDims: 0,
  },
  {
    name: 'rank-3 table',
    x: [6, 2, 3],
    indices: [
      [5, 5],
      [0, 1],
    ],
    axis: 0,
    batchDims: 0,
  },
  {
    name: 'axis 1',
    x: [2, 5, 3],
    indices: [
      [0, 4],
      [4, 4],
    ],
    axis: 1,
    batchDims: 0,
  },
  { name: 'last axis', x: [3, 4], indices: [3, 3, 1], axis: -1, batchDims: 0 },
  {
    name: 'batchDims 1',
    x: [2, 5, 3],
    indices: [
      [0, 4, 4],
      [4, 1, 1],
    ],
    axis: 1,
    batchDims: 1,
  },
];

interface CaseData {
  readonly x: Float32Array;
  readonly dy: Float32Array;
  readonly dyShape: number[];
}

function makeData(c: Case, seed: number): CaseData {
  return tf.tidy(() => {
    const x = tf.randomNormal(c.x, 0, 1, 'float32', seed);
    const dyShape = tf.gather(x, tf.tensor(c.indices, undefined, 'int32'), c.axis, c.batchDims).shape;
    const dy = tf.randomNormal(dyShape, 0, 1, 'float32', seed + 1);
    return { x: x.dataSync() as Float32Array, dy: dy.dataSync() as Float32Array, dyShape };
  });
}

/** Gradient of gather through whichever GatherV2 gradient is registered (tfjs's own on cpu: unsortedSegmentSum). */
function gatherGradientOf(c: Case, data: CaseData): Float32Array {
  const x = tf.tensor(data.x, c.x);
  const indices = tf.tensor(c.indices, undefined, 'int32');
  const dy = tf.tensor(data.dy, data.dyShape);
  const [gradient] = tf.grads((t: tf.Tensor) => tf.gather(t, indices, c.axis, c.batchDims))([x], dy);
  const values = gradient!.dataSync() as Float32Array;
  tf.dispose([x, indices, dy, gradient!]);
  return values;
}

/**
 * tfjs's own gradient for batchDims 1 calls chained ops (x.split), which tfjs-core alone does not
 * register, so it throws here. Its maths, per batch entry: unsortedSegmentSum of dy by indices.
 */
function batchDimsOneReference(c: Case, data: CaseData): Float32Array {
  return tf.tidy(() => {
    const indices = tf.tensor(c.indices, undefined, 'int32');
    const dy = tf.tensor(data.dy, data.dyShape); // [batch, outer = 1, ids, inner]
    const [batch, vocabulary, inner] = [c.x[0]!, c.x[1]!, c.x[2]!];
    const ids = indices.shape[1]!;
    const parts = Array.from({ length: batch }, (_, b) =>
      tf.unsortedSegmentSum(
        tf.reshape(tf.slice(dy, [b, 0, 0], [1, ids, inner]), [ids, inner]),
        tf.reshape(tf.slice(indices, [b, 0], [1, ids]), [ids]),
        vocabulary,
      ),
    );
    return tf.stack(parts).dataSync() as Float32Array;
  });
}

const datasets = new Map<Case, CaseData>();
const references = new Map<Case, Float32Array>();

beforeAll(() => {
  CASES.forEach((c, i) => {
    const data = makeData(c, 10 * i);
    datasets.set(c, data);
    // tfjs's own gradient, on cpu; by hand where it cannot run (see batchDimsOneReference).
    references.set(c, c.batchDims === 1 ? batchDimsOneReference(c, data) : gatherGradientOf(c, data));
  });
  registerGradientOverrides(['GatherV2']);
});

afterAll(async () => {
  restoreDefaultGradients();
  await tf.setBackend('cpu');
});

describe('GatherV2 gradient override on cpu', () => {
  it.each(CASES.map((c) => [c.name, c] as const))("matches tfjs's gradient: %s", (_, c) => {
    expectClose(gatherGradientOf(c, datasets.get(c)!), references.get(c)!, { atol: 1e-6, rtol: 1e-6 });
  });

  it('sums repeated ids: row 1 of the table gets dy rows 0, 5 and 6', () => {
    const c = CASES[0]!;
    const data = datasets.get(c)!;
    const gradient = gatherGradientOf(c, data);
    const row = (values: Float32Array, i: number) => Array.from(values.subarray(6 * i, 6 * i + 6));
    const expected = row(data.dy, 0).map((v, j) => v + row(data.dy, 5)[j]! + row(data.dy, 6)[j]!);
    expectClose(row(gradient, 1), expected, { atol: 1e-6, rtol: 1e-6 });
    expect(row(gradient, 2)).toEqual([0, 0, 0, 0, 0, 0]); // id 2 never looked up
  });

  it("replaces tfjs's own gradient, which cannot run batchDims 1 with tfjs-core alone", () => {
    const c = CASES[5]!;
    restoreDefaultGradients(['GatherV2']);
    try {
      expect(() => gatherGradientOf(c, datasets.get(c)!)).toThrow('split is not a function');
    } finally {
      registerGradientOverrides(['GatherV2']);
    }
  });

  it('leaves no tensors behind', async () => {
    await expectNoLeak(() => {
      gatherGradientOf(CASES[1]!, datasets.get(CASES[1]!)!);
    });
  });
});

describe('GatherV2 gradient override on wasm', () => {
  beforeAll(async () => {
    await selectBackend({ backend: 'wasm', quiet: true });
  });

  it('is needed there: wasm has no UnsortedSegmentSum kernel', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeUndefined();
  });

  it.each(CASES.map((c) => [c.name, c] as const))('matches the cpu reference: %s', (_, c) => {
    expectClose(gatherGradientOf(c, datasets.get(c)!), references.get(c)!, { atol: 1e-6, rtol: 1e-6 });
  });
});
