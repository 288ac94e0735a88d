import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError } from './backend-unavailable-error.js';
import { firstLine, importOptional } from './import-optional.js';
import type { LoadedBackend } from './load-backend.js';
import { trySetBackend } from './load-backend.js';

/** The parts of the `webgpu` package (Dawn for Node) we use. */
interface DawnModule {
  create: (flags: string[]) => { requestAdapter: (options?: unknown) => Promise<unknown> };
  globals?: Record<string, unknown>;
}

function dawnModule(module: Record<string, unknown>): DawnModule | undefined {
  const candidates = [module, module.default];
  for (const candidate of candidates) {
    if (
      typeof candidate === 'object' &&
      candidate !== null &&
      typeof (candidate as { create?: unknown }).create === 'function'
    ) {
      return candidate as unknown as DawnModule;
    }
  }
  return undefined;
}

/** Node 20 has no `navigator`; Node 21+ has one without `gpu`. Add what is missing. */
function installNavigatorGpu(gpu: unknown): void {
  const global = globalThis as { navigator?: { gpu?: unknown } };
  if (global.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  } else if (global.navigator.gpu === undefined) {
    Object.defineProperty(global.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
  }
}

/**
 * Activates tfjs's webgpu backend in Node through the `webgpu` package (Dawn, prebuilt inside
 * the npm package): sets `navigator.gpu` from its `create([])` and the WebGPU constants
 * (GPUBufferUsage, ...) on globalThis, then loads `@tensorflow/tfjs-backend-webgpu`. Only on
 * request: on a CPU Vulkan driver it is 5-7x slower than wasm. Reads must be async there.
 *
 * @throws BackendUnavailableError when either package is missing or Dawn finds no adapter.
 */
export async function loadWebgpu(): Promise<LoadedBackend> {
  const install = `To use it: npm install webgpu @tensorflow/tfjs-backend-webgpu@${tf.version_core}.`;
  const dawn = await importOptional('webgpu');
  if (dawn.status !== 'loaded') {
    const reason =
      dawn.status === 'missing'
        ? 'the "webgpu" package (Dawn for Node) is not installed'
        : `the "webgpu" package failed to load (${firstLine(dawn.error)})`;
    throw new BackendUnavailableError('webgpu', [reason], install, {
      cause: dawn.status === 'failed' ? dawn.error : undefined,
    });
  }
  const module = dawnModule(dawn.module);
  if (module === undefined) {
    throw new BackendUnavailableError(
      'webgpu',
      ['the "webgpu" package has no create() export'],
      `${install} (a version with create() and globals)`,
    );
  }
  for (const [key, value] of Object.entries(module.globals ?? {})) {
    if (!(key in globalThis)) Object.defineProperty(globalThis, key, { value, configurable: true, writable: true });
  }
  const gpu = module.create([]);
  const adapter = await gpu.requestAdapter();
  if (adapter === null || adapter === undefined) {
    throw new BackendUnavailableError(
      'webgpu',
      ['Dawn found no WebGPU adapter (no GPU, or no Vulkan / Metal / Direct3D 12 driver it accepts)'],
      'Install a GPU driver with Vulkan support (on Linux, Mesa >= 25; Debian 12\'s Mesa 22.3 is rejected by Dawn), or use backend "wasm".',
    );
  }
  installNavigatorGpu(gpu);
  const backend = await importOptional('@tensorflow/tfjs-backend-webgpu');
  if (backend.status !== 'loaded') {
    const reason =
      backend.status === 'missing'
        ? '@tensorflow/tfjs-backend-webgpu is not installed'
        : `@tensorflow/tfjs-backend-webgpu failed to load (${firstLine(backend.error)})`;
    throw new BackendUnavailableError('webgpu', [reason], install, {
      cause: backend.status === 'failed' ? backend.error : undefined,
    });
  }
  if (!(await trySetBackend('webgpu'))) {
    throw new BackendUnavailableError(
      'webgpu',
      ['the backend did not initialise (tfjs printed the cause above)'],
      'Or use backend "wasm".',
    );
  }
  return { name: 'webgpu', package: '@tensorflow/tfjs-backend-webgpu' };
}
