// Unit tests run on tfjs's pure-JS cpu backend (every kernel and built-in gradient), as the
// packages' tests do; core's import registers tfjs's gradients.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@dpo-ts/core';

/** Selects the cpu backend once and silences its one-time banner. */
export async function useCpuBackend(): Promise<void> {
  await tf.setBackend('cpu');
  (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
}
