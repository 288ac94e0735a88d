import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoLeak } from '../testing/expect-no-leak.js';
import { pairScoresFromHost, readPairScores } from './host-pair-scores.js';

describe('host pair scores', () => {
  it('round-trips scores, lengths and details exactly, leaving the tensors to their owners', async () => {
    const scores = {
      chosen: tf.tensor1d([-1.25, 3.5e-8]),
      rejected: tf.tensor1d([-7, 0.1]),
      chosenLengths: tf.tensor1d([3, 1]),
      details: { 'mse/chosen': tf.tensor1d([0.5, 0.25]) },
    };
    const host = await expectNoLeak(() => readPairScores(scores));
    expect(host).toEqual({
      chosen: Float32Array.from([-1.25, 3.5e-8]),
      rejected: Float32Array.from([-7, 0.1]),
      chosenLengths: Float32Array.from([3, 1]),
      details: { 'mse/chosen': Float32Array.from([0.5, 0.25]) },
    });
    expect(structuredClone(host)).toEqual(host); // crosses to worker threads
    await expectNoLeak(async () => {
      const back = pairScoresFromHost(host)!;
      expect(back.rejectedLengths).toBeUndefined();
      expect(Array.from(await back.chosen.data())).toEqual(Array.from(host!.chosen));
      expect(Array.from(await back.details!['mse/chosen']!.data())).toEqual([0.5, 0.25]);
      tf.dispose([back.chosen, back.rejected, back.chosenLengths!, back.details!['mse/chosen']!]);
    });
    tf.dispose([scores.chosen, scores.rejected, scores.chosenLengths, scores.details['mse/chosen']]);
    expect(await readPairScores(null)).toBeNull();
    expect(pairScoresFromHost(null)).toBeNull();
  });
});
