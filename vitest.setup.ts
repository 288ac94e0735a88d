// Unit tests run on the pure-JS cpu backend: it has every kernel and every built-in gradient,
// so it is the reference the wasm overrides are tested against. Tests that need wasm switch
// explicitly.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@dpo-ts/core/tfjs-gradients';

await tf.setBackend('cpu');
// Silence the cpu backend's one-time "install tfjs-node" banner in test logs.
(tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
