import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoLeak } from '../testing/expect-no-leak.js';
import { accumulateGradients } from './accumulate-gradients.js';

const micro = (a: number[], b: number): Map<string, tf.Tensor> =>
  new Map<string, tf.Tensor>([
    ['a', tf.tensor1d(a)],
    ['b', tf.scalar(b)],
  ]);

describe('accumulateGradients', () => {
  it('averages with divisor n and sums with divisor 1, owning the inputs', async () => {
    await expectNoLeak(async () => {
      const mean = new Map<string, tf.Tensor>();
      const first = micro([1, 2], 10);
      accumulateGradients(mean, first, 2);
      accumulateGradients(mean, micro([3, 4], 20), 2);
      expect(Array.from(await mean.get('a')!.data())).toEqual([2, 3]); // ([1, 2] + [3, 4]) / 2
      expect((await mean.get('b')!.data())[0]).toBe(15);
      expect(first.get('a')!.isDisposed).toBe(true);

      const sum = new Map<string, tf.Tensor>();
      accumulateGradients(sum, micro([1, 2], 10));
      accumulateGradients(sum, micro([3, 4], 20));
      expect(Array.from(await sum.get('a')!.data())).toEqual([4, 6]);
      tf.dispose([...mean.values(), ...sum.values()]);
    });
  });

  it('adds a gradient absent from earlier micro-batches as it is', async () => {
    const accumulated = new Map<string, tf.Tensor>();
    accumulateGradients(accumulated, new Map([['a', tf.tensor1d([1])]]), 2);
    accumulateGradients(accumulated, new Map([['c', tf.tensor1d([4])]]), 2);
    expect([...accumulated.keys()]).toEqual(['a', 'c']);
    expect((await accumulated.get('c')!.data())[0]).toBe(2);
    tf.dispose([...accumulated.values()]);
  });

  it('refuses a divisor that is not a positive number, disposing the gradients', async () => {
    await expectNoLeak(() => {
      expect(() => accumulateGradients(new Map(), micro([1], 1), 0)).toThrow(
        'divisor must be a finite number > 0: got 0',
      );
    });
  });
});
