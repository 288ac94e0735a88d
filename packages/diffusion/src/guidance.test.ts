import { describe, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { guidedNoise } from './guidance.js';
import { MLPDenoiser } from './mlp-denoiser.js';

describe('guidedNoise', () => {
  it('is eps_uncond + w (eps_cond - eps_uncond) in one batched pass; w = 1 and w = 0 are the two branches', async () => {
    const model = new MLPDenoiser({
      imageShape: [4, 4, 1],
      numClasses: 3,
      hiddenSize: 16,
      numLayers: 1,
      timeEmbeddingDim: 8,
      zeroInitOutput: false,
    });
    await expectNoLeak(() => {
      tf.tidy(() => {
        const x = tf.sin(tf.reshape(tf.range(0, 32), [2, 4, 4, 1])) as tf.Tensor4D;
        const t = tf.tensor1d([10, 20]);
        const c = tf.tensor1d([0, 2], 'int32');
        const conditional = model.predictNoise(x, t, c);
        const unconditional = model.predictNoise(x, t, tf.tensor1d([3, 3], 'int32'));
        expectClose(guidedNoise(model, x, t, c, 1), conditional);
        expectClose(guidedNoise(model, x, t, c, 0), unconditional);
        const expected = tf.add(unconditional, tf.mul(4, tf.sub(conditional, unconditional)));
        expectClose(guidedNoise(model, x, t, c, 4), expected, { atol: 1e-5, rtol: 1e-4 });
      });
    });
    model.dispose();
  });
});
