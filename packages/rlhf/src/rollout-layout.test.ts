import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { layoutRollout, pickRows, rolloutTensors } from './rollout-layout.js';

describe('layoutRollout', () => {
  it('left-pads prompts, appends responses and drops the last response token from the input', async () => {
    // PAD 0, EOS 2. Prompts [1, 5] and [1, 6, 7]; responses [8, 2, 0] (ended by EOS) and [9, 9, 9].
    const layout = layoutRollout(
      [
        [1, 5],
        [1, 6, 7],
      ],
      {
        tokenIds: [
          [8, 2, 0],
          [9, 9, 9],
        ],
        mask: [
          [1, 1, 0],
          [1, 1, 1],
        ],
      },
      0,
    );
    expect([layout.promptWidth, layout.responseLength, layout.inputLength]).toEqual([3, 3, 5]);
    expect(Array.from(layout.inputIds)).toEqual([0, 1, 5, 8, 2, /* row 1 */ 1, 6, 7, 9, 9]);
    expect(Array.from(layout.attentionMask)).toEqual([0, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(Array.from(layout.positionIds)).toEqual([0, 0, 1, 2, 3, 0, 1, 2, 3, 4]);
    expect(Array.from(layout.responseIds)).toEqual([8, 2, 0, 9, 9, 9]);
    expect(Array.from(layout.responseMask)).toEqual([1, 1, 0, 1, 1, 1]);
    expect(layout.responseLengths).toEqual([2, 3]);
    await expectNoLeak(() => {
      const tensors = rolloutTensors(layout, [1]);
      expect(tensors.inputIds.arraySync()).toEqual([[1, 6, 7, 9, 9]]);
      expect(tensors.responseMask.arraySync()).toEqual([[1, 1, 1]]);
      expect(tensors.inputIds.dtype).toBe('int32');
      tf.dispose(Object.values(tensors));
    });
    expect(Array.from(pickRows(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 0], 2))).toEqual([5, 6, 1, 2]);
  });

  it('rejects an empty response and mismatched rows', () => {
    expect(() => layoutRollout([[1]], { tokenIds: [[0]], mask: [[0]] }, 0)).toThrow(/responses.mask\[0\]/);
    expect(() => layoutRollout([[1], [1]], { tokenIds: [[3]], mask: [[1]] }, 0)).toThrow(/responses/);
  });
});
