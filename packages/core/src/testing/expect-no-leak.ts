import * as tf from '@tensorflow/tfjs-core';

/**
 * Runs `fn` and throws if it leaves more tensors alive than it started with (or fewer: a sign
 * of disposing what the caller owns). `fn` may be async. The value it returns is passed back;
 * if that value holds tensors, dispose them inside `fn` or count them with `expectedNewTensors`.
 *
 * @example
 * await expectNoLeak(() => { const l = sigmoidLoss.compute(ctx); l.dispose(); });
 */
export async function expectNoLeak<T>(fn: () => T | Promise<T>, expectedNewTensors = 0): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await fn();
  const after = tf.memory().numTensors;
  if (after - before !== expectedNewTensors) {
    throw new Error(
      `expectNoLeak: ${after - before} tensors were left alive (before ${before}, after ${after}), expected ${expectedNewTensors}`,
    );
  }
  return result;
}
