import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoLeak } from '../testing/expect-no-leak.js';
import { accumulateGradients } from '../training/accumulate-gradients.js';
import { OrderedGradientSum } from './ordered-gradient-sum.js';
import type { ParameterLayout } from './parameter-layout.js';

const layout: ParameterLayout = {
  slots: [
    { name: 'a', shape: [2, 2], offset: 0, size: 4 },
    { name: 'b', shape: [3], offset: 4, size: 3 },
  ],
  size: 7,
};

// Values whose float32 sums round (1/3, 0.1, large + small), so a different arithmetic would show.
const micro = [
  Float32Array.from([1 / 3, 0.1, 1e7, -2.5, 0.7, 3, 1e-8]),
  Float32Array.from([0.2, 1 / 7, 1.5, 1e-3, -0.7, 1 / 9, 5]),
  Float32Array.from([-1 / 3, 0.3, 0.25, 7, 2.2, -3, 1e-8]),
];

describe('OrderedGradientSum', () => {
  it('equals accumulateGradients on tensors bit for bit, divisor 3, and skips slots without a gradient', async () => {
    const hasGradient = [
      [true, true],
      [true, false],
      [true, true],
    ];
    const accumulated = new Map<string, tf.Tensor>();
    micro.forEach((values, k) => {
      const grads = new Map<string, tf.Tensor>([['a', tf.tensor(values.slice(0, 4), [2, 2])]]);
      if (hasGradient[k]![1]) grads.set('b', tf.tensor(values.slice(4), [3]));
      accumulateGradients(accumulated, grads, 3);
    });
    const sum = new OrderedGradientSum(layout, 3);
    micro.forEach((values, k) => {
      sum.add(k, values, hasGradient[k]!);
    });
    const tensors = await expectNoLeak(() => sum.toTensors(), 2);
    for (const name of ['a', 'b']) {
      expect(Array.from(tensors.get(name)!.dataSync())).toEqual(Array.from(accumulated.get(name)!.dataSync()));
      expect(tensors.get(name)!.shape).toEqual(accumulated.get(name)!.shape);
    }
    // Independently: b = (0.7 + 2.2) / 3 etc., micro-batch 1 skipped.
    expect(tensors.get('b')!.dataSync()[0]).toBeCloseTo((0.7 + 2.2) / 3, 6);
    tf.dispose([...tensors.values(), ...accumulated.values()]);
  });

  it('matches accumulateGradients bit for bit when a variable first gets a gradient mid-step, divisor 1 and 2.5', () => {
    // Three variables; b has no gradient in micro-batch 0, so micro-batch 1 copies b but adds a and c.
    const three: ParameterLayout = {
      slots: [
        { name: 'a', shape: [2], offset: 0, size: 2 },
        { name: 'b', shape: [3], offset: 2, size: 3 },
        { name: 'c', shape: [2], offset: 5, size: 2 },
      ],
      size: 7,
    };
    const hasGradient = [
      [true, false, true],
      [true, true, true],
      [false, true, true],
    ];
    for (const divisor of [1, 2.5]) {
      const accumulated = new Map<string, tf.Tensor>();
      const sum = new OrderedGradientSum(three, divisor);
      micro.forEach((values, k) => {
        const grads = new Map<string, tf.Tensor>();
        three.slots.forEach((slot, s) => {
          if (hasGradient[k]![s]) grads.set(slot.name, tf.tensor(values.slice(slot.offset, slot.offset + slot.size)));
        });
        accumulateGradients(accumulated, grads, divisor);
        sum.add(k, values, hasGradient[k]!);
      });
      const tensors = sum.toTensors();
      for (const name of ['a', 'b', 'c'])
        expect(Array.from(tensors.get(name)!.dataSync())).toEqual(Array.from(accumulated.get(name)!.dataSync()));
      // Independently: b's first element is 1.5 / divisor + 0.25 / divisor, each step in float32.
      const b0 = Math.fround(Math.fround(1.5 / divisor) + Math.fround(0.25 / divisor));
      expect(tensors.get('b')!.dataSync()[0]).toBe(b0);
      tf.dispose([...tensors.values(), ...accumulated.values()]);
    }
  });

  it('leaves out a variable no micro-batch has a gradient for', () => {
    const sum = new OrderedGradientSum(layout);
    sum.add(0, micro[0]!, [true, false]);
    const tensors = sum.toTensors();
    expect([...tensors.keys()]).toEqual(['a']);
    expect(Array.from(tensors.get('a')!.dataSync())).toEqual(Array.from(micro[0]!.slice(0, 4)));
    tf.dispose([...tensors.values()]);
  });

  it('refuses micro-batches out of order and a bad divisor', () => {
    const sum = new OrderedGradientSum(layout);
    expect(() => sum.add(1, micro[1]!, [true, true])).toThrow('micro-batch 1 added out of order (expected 0)');
    expect(() => new OrderedGradientSum(layout, 0)).toThrow('divisor must be a finite number > 0: got 0');
  });

  it('is finished once its tensors are made (they may view its buffer)', () => {
    const sum = new OrderedGradientSum(layout);
    sum.add(0, micro[0]!, [true, true]);
    const tensors = sum.toTensors();
    expect(() => sum.add(1, micro[1]!, [true, true])).toThrow('add after toTensors');
    expect(Array.from(tensors.get('a')!.dataSync())).toEqual(Array.from(micro[0]!.slice(0, 4)));
    tf.dispose([...tensors.values()]);
  });
});
