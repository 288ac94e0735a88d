import { describe, expect, it } from 'vitest';
import { OrderedGradientSum } from './ordered-gradient-sum.js';
import type { ParameterLayout } from './parameter-layout.js';
import { type SlotTable, StepControl } from './step-control.js';

const layout: ParameterLayout = {
  slots: [
    { name: 'a', shape: [2], offset: 0, size: 2 },
    { name: 'b', shape: [3], offset: 2, size: 3 },
  ],
  size: 5,
};

// Two simulated workers with one slot each; values whose float32 sums round.
const gradients = [
  Float32Array.from([1 / 3, 0.1, 1e7, -2.5, 0.7]),
  Float32Array.from([0.2, 1 / 7, 1.5, 1e-3, -0.7]),
  Float32Array.from([-1 / 3, 0.3, 0.25, 7, 2.2]),
];
const flags = [
  [1, 1],
  [1, 0],
  [1, 1],
];

describe('StepControl', () => {
  it('hands out each micro-batch once, sums strictly in order whoever holds the gradients, and matches OrderedGradientSum bit for bit', () => {
    const control = StepControl.allocate(3, layout.slots.length);
    const slots: SlotTable = {
      values: [[new Float32Array(5)], [new Float32Array(5)]],
      hasGradient: [[new Int32Array(2)], [new Int32Array(2)]],
    };
    const sum = new Float32Array(layout.size);
    const produce = (worker: number, k: number) => {
      slots.values[worker]![0]!.set(gradients[k]!);
      slots.hasGradient[worker]![0]!.set(flags[k]!);
      control.markReady(k);
      return control.drain(layout, sum, slots, 1, 3);
    };
    expect([control.claim(), control.claim()]).toEqual([0, 1]);
    control.setLocation(0, 0, 0, 1);
    control.setLocation(1, 1, 0, 1);
    expect(control.computingWorker(1, 1)).toBe(1);
    // Worker 1 finishes micro-batch 1 first: not its turn, nothing is added.
    produce(1, 1);
    expect(control.added()).toBe(0);
    expect(control.computingWorker(1, 1)).toBeUndefined();
    // Worker 0 finishes micro-batch 0 and adds both (its own, then worker 1's).
    produce(0, 0);
    expect(control.added()).toBe(2);
    expect(control.claim()).toBe(2);
    expect(control.claim()).toBe(-1);
    control.setLocation(2, 1, 0, 1);
    produce(1, 2);
    expect(control.added()).toBe(3);

    const reference = new OrderedGradientSum(layout, 3);
    gradients.forEach((values, k) => {
      reference.add(k, values, flags[k]!.map(Boolean));
    });
    const expected = reference.toTensors();
    expect(Array.from(sum)).toEqual([
      ...Array.from(expected.get('a')!.dataSync()),
      ...Array.from(expected.get('b')!.dataSync()),
    ]);
    expect(Array.from(control.present())).toEqual([1, 1]);
    // Independently: b's first element is 1e7 / 3 + 0.25 / 3 (micro-batch 1 has no b), in float32 steps.
    expect(sum[2]).toBe(Math.fround(Math.fround(1e7 / 3) + Math.fround(0.25 / 3)));
    for (const tensor of expected.values()) tensor.dispose();
  });
});
