import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { checkGradient, expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { UNet } from './unet.js';

// Tiny on purpose: the cpu backend's conv backprop is slow.
const tiny = { imageShape: [4, 4, 1] as const, numClasses: 2, baseChannels: 4, channelMultipliers: [1, 2], groups: 2 };

describe('UNet', () => {
  it('maps NHWC noisy images to same-shaped noise and is zero at init (zero-init convs)', async () => {
    const model = new UNet({ ...tiny, imageShape: [8, 8, 1], channelMultipliers: [1, 2, 2] });
    await expectNoLeak(() => {
      tf.tidy(() => {
        const eps = model.predictNoise(tf.ones([3, 8, 8, 1]), tf.tensor1d([0, 5, 9]), tf.tensor1d([0, 1, 2], 'int32'));
        expect(eps.shape).toEqual([3, 8, 8, 1]);
        expectClose(eps, new Array<number>(3 * 64).fill(0));
      });
    });
    const names = [...model.namedVariables().keys()];
    for (const name of [
      'in.conv.kernel',
      'emb.class',
      'down.0.res.0.conv1.kernel',
      'down.1.res.0.skip.kernel',
      'down.0.downsample.conv.kernel',
      'mid.res.1.norm2.gamma',
      'up.2.res.1.conv2.bias',
      'up.1.upsample.conv.kernel',
      'out.norm.beta',
      'out.conv.kernel',
    ]) {
      expect(names).toContain(name);
    }
    expect(new Set(names).size).toBe(names.length);
    model.dispose();
  });

  it('has input gradients that match finite differences through every block', () => {
    const model = new UNet({ ...tiny, zeroInit: false, seed: 3 });
    const t = tf.tensor1d([17]);
    const c = tf.tensor1d([1], 'int32');
    const x = tf.tidy(() => tf.mul(tf.sin(tf.reshape(tf.range(1, 17), [1, 4, 4, 1])), 0.8));
    const weights = tf.tidy(() => tf.cos(tf.reshape(tf.range(0, 16), [1, 4, 4, 1])));
    const f = (input: tf.Tensor): tf.Scalar => tf.sum(tf.mul(model.predictNoise(input as tf.Tensor4D, t, c), weights));
    const result = checkGradient(f, [x], { epsilon: 1e-2, atol: 2e-3, rtol: 2e-2 });
    expect(result.maxAbsError).toBeLessThan(2e-3);
    tf.dispose([t, c, x, weights]);
    model.dispose();
  });

  it('trains every weight and is deterministic per seed', async () => {
    const a = new UNet({ ...tiny, zeroInit: false, seed: 1 });
    const b = new UNet({ ...tiny, zeroInit: false, seed: 1 });
    await expectNoLeak(() => {
      tf.tidy(() => {
        const x = tf.randomNormal([2, 4, 4, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
        const t = tf.tensor1d([1, 30]);
        const c = tf.tensor1d([0, 2], 'int32');
        expectClose(a.predictNoise(x, t, c), b.predictNoise(x, t, c), { atol: 0, rtol: 0 });
        const { grads } = tf.variableGrads(() => tf.sum(tf.square(a.predictNoise(x, t, c))), a.trainableVariables());
        expect(Object.keys(grads)).toHaveLength(a.trainableVariables().length);
        for (const [name, grad] of Object.entries(grads))
          expect(tf.max(tf.abs(grad)).dataSync()[0], name).toBeGreaterThan(0);
      });
    });
    a.dispose();
    b.dispose();
  });

  it('validates levels against the image size and groups against the channels', () => {
    expect(() => new UNet({ ...tiny, imageShape: [6, 6, 1], channelMultipliers: [1, 2, 2] })).toThrow(
      'unet.imageShape must be height and width divisible by 4 (3 levels)',
    );
    expect(() => new UNet({ ...tiny, groups: 3 })).toThrow(
      "unet.groups must be a divisor of every level's channels (4): got 3",
    );
    expect(() => new UNet({ channelMultipliers: [] })).toThrow('unet.channelMultipliers');
  });
});
