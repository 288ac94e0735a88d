// tfjs-core's main entry registers no gradients (the `@tensorflow/tfjs` union package does it
// for its users). dpo-ts trains with tfjs-core alone, so core registers them once for everyone:
// `tfjs-gradients` is tfjs-core's own gradient set bundled into one Node-loadable file at build
// time (scripts/bundle-gradients.mjs). Listed in package.json "sideEffects".
// tfjs-core itself is evaluated first, so that the engine on the global object (shared by both
// copies) is the real one and tensors are its Tensor class, whose chained methods (`x.clone()`)
// work; the bundled copy only registers gradients against that engine.
import '@tensorflow/tfjs-core';
import '@dpo-ts/core/tfjs-gradients';
