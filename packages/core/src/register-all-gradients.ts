// tfjs-core's main entry registers no gradients (the `@tensorflow/tfjs` union package does it
// for its users). dpo-ts trains with tfjs-core alone, so core registers them once for everyone:
// `tfjs-gradients` is tfjs-core's own gradient set bundled into one Node-loadable file at build
// time (scripts/bundle-gradients.mjs). Listed in package.json "sideEffects".
import '@dpo-ts/core/tfjs-gradients';
