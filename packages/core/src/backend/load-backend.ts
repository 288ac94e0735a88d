import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from './backend-request.js';
import { BackendUnavailableError } from './backend-unavailable-error.js';
import { firstLine, importOptional } from './import-optional.js';

/** A backend that loaded and is now tfjs's active backend. */
export interface LoadedBackend {
  readonly name: BackendName;
  /** The npm package that provides it. */
  readonly package: string;
  /** wasm only: worker threads (always 1 in Node: the package disables multithreading there). */
  readonly threads?: number;
  /** wasm only: whether the SIMD build runs. */
  readonly simd?: boolean;
}

/** The tfjs version the install hints pin (the optional peers must match tfjs-core exactly). */
const TFJS_VERSION = tf.version_core;

/** Packages behind the "tensorflow" backend, in the order 'auto' and 'tensorflow' try them. */
export const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/** tf.setBackend, with initialisation errors turned into `false` (tfjs logs the cause). */
export async function trySetBackend(name: BackendName): Promise<boolean> {
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

/**
 * Loads `@tensorflow/tfjs-node-gpu` or else `@tensorflow/tfjs-node` (native libtensorflow) and
 * activates the "tensorflow" backend.
 * @throws BackendUnavailableError listing, per package, whether it is missing or failed to load.
 */
export async function loadTensorflow(): Promise<LoadedBackend> {
  const reasons: string[] = [];
  let cause: unknown;
  for (const pkg of TENSORFLOW_PACKAGES) {
    const result = await importOptional(pkg);
    if (result.status === 'missing') {
      reasons.push(`${pkg} is not installed`);
      continue;
    }
    if (result.status === 'failed') {
      reasons.push(`${pkg} is installed but failed to load (${firstLine(result.error)})`);
      cause ??= result.error;
      continue;
    }
    if (await trySetBackend('tensorflow')) return { name: 'tensorflow', package: pkg };
    reasons.push(`${pkg} loaded but its "tensorflow" backend did not initialise`);
  }
  throw new BackendUnavailableError(
    'tensorflow',
    reasons,
    `To use it: npm install @tensorflow/tfjs-node@${TFJS_VERSION} (CPU) or @tensorflow/tfjs-node-gpu@${TFJS_VERSION} (NVIDIA GPU, CUDA); ` +
      'their install step downloads the libtensorflow binary, so it needs network access beyond the npm registry. ' +
      'Or use backend "wasm" (the default; nothing to download).',
    { cause },
  );
}

/**
 * Activates the wasm backend (SIMD build, XNNPACK kernels; one thread in Node). Its binary ships
 * inside the npm package and loads without `setWasmPaths`.
 * @throws BackendUnavailableError when the package is missing or the module does not initialise.
 */
export async function loadWasm(): Promise<LoadedBackend> {
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    wasm = await import('@tensorflow/tfjs-backend-wasm');
  } catch (error) {
    throw new BackendUnavailableError(
      'wasm',
      [`@tensorflow/tfjs-backend-wasm failed to load (${firstLine(error)})`],
      `It is a dependency of @dpo-ts/core: reinstall with npm install @tensorflow/tfjs-backend-wasm@${TFJS_VERSION}. Or use backend "cpu".`,
      { cause: error },
    );
  }
  if (!(await trySetBackend('wasm'))) {
    throw new BackendUnavailableError(
      'wasm',
      ['its WebAssembly module did not initialise (tfjs printed the cause above)'],
      'Node >= 20 runs it; check that nothing restricts WebAssembly. Or use backend "cpu".',
    );
  }
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  return { name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', threads: wasm.getThreadsCount(), simd };
}

/**
 * Activates the pure-JavaScript cpu backend: every kernel, slow; the reference.
 * @throws BackendUnavailableError when the package is missing.
 */
export async function loadCpu(): Promise<LoadedBackend> {
  try {
    await import('@tensorflow/tfjs-backend-cpu');
  } catch (error) {
    throw new BackendUnavailableError(
      'cpu',
      [`@tensorflow/tfjs-backend-cpu failed to load (${firstLine(error)})`],
      `It is a dependency of @dpo-ts/core: reinstall with npm install @tensorflow/tfjs-backend-cpu@${TFJS_VERSION}.`,
      { cause: error },
    );
  }
  if (!(await trySetBackend('cpu'))) {
    throw new BackendUnavailableError(
      'cpu',
      ['it did not initialise (tfjs printed the cause above)'],
      'Reinstall @dpo-ts/core.',
    );
  }
  // The cpu backend prints a banner recommending tfjs-node on first use; selectBackend's own
  // line already says which backend runs and how to get the native one.
  const backend = tf.backend() as { firstUse?: boolean };
  if (backend.firstUse === true) backend.firstUse = false;
  return { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu' };
}
