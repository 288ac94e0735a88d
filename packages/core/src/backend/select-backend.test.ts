import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { expectNoLeak } from '../testing/expect-no-leak.js';
import { BACKEND_ENV_VAR, resolveBackendRequest } from './backend-request.js';
import { BackendUnavailableError } from './backend-unavailable-error.js';
import { ensureBuiltinGradients, hasBuiltinGradients } from './builtin-gradients.js';
import { GRADIENT_OVERRIDES, activeGradientOverrides, restoreDefaultGradients } from './gradient-overrides.js';
import { selectBackend, selectedBackend } from './select-backend.js';
import { KERNEL_OVERRIDES, activeWasmKernelOverrides } from './wasm-kernel-overrides.js';

afterAll(async () => {
  restoreDefaultGradients();
  await tf.setBackend('cpu');
});

/** Collects the status lines selectBackend prints. */
function recorder(): { lines: string[]; logger: (line: string) => void } {
  const lines: string[] = [];
  return { lines, logger: (line) => lines.push(line) };
}

// Tests run in order and share the process-wide backend: 'auto' must come first.
describe('selectBackend', () => {
  it("'auto' picks wasm here (tfjs-node is not installed), says so, and registers all overrides", async () => {
    const { lines, logger } = recorder();
    const info = await expectNoLeak(() => selectBackend({ logger }));
    expect(info).toMatchObject({
      name: 'wasm',
      requested: 'auto',
      package: '@tensorflow/tfjs-backend-wasm',
      threads: 1,
      builtinGradients: true,
    });
    expect(info.overrides).toEqual([...GRADIENT_OVERRIDES]);
    expect(info.skipped?.join()).toContain('@tensorflow/tfjs-node is not installed');
    expect(tf.getBackend()).toBe('wasm');
    expect(lines[0]).toMatch(
      /^dpo-ts: backend wasm \(.*1 thread, auto: tensorflow: .*not installed\); gradient overrides: BatchMatMul, Conv2D, Conv2DBackpropInput, GatherV2; kernel overrides: BatchMatMul, Sum, SplitV, Concat, Identity, Equal, Transpose$/,
    );
    expect(selectedBackend()).toBe(info);
  });

  it("keeps the choice on later 'auto' calls, silently", async () => {
    const first = selectedBackend();
    const { lines, logger } = recorder();
    expect(await selectBackend({ logger })).toBe(first);
    expect(lines).toEqual([]);
  });

  it("switches to 'cpu' when asked by name", async () => {
    const { lines, logger } = recorder();
    const info = await expectNoLeak(() => selectBackend({ backend: 'cpu', logger }));
    expect(info).toMatchObject({ name: 'cpu', requested: 'cpu', overrides: [...GRADIENT_OVERRIDES] });
    expect(tf.getBackend()).toBe('cpu');
    expect(lines[0]).toBe(
      'dpo-ts: backend cpu; gradient overrides: BatchMatMul, Conv2D, Conv2DBackpropInput, GatherV2',
    );
    expect(info.kernelOverrides).toBeUndefined();
  });

  it("switches to 'wasm' when asked by name", async () => {
    const info = await selectBackend({ backend: 'wasm', quiet: true });
    expect(info).toMatchObject({ name: 'wasm', requested: 'wasm', simd: true, threads: 1 });
    expect(tf.getBackend()).toBe('wasm');
  });

  it("'tensorflow' fails with what is missing and how to install it, and changes nothing", async () => {
    const before = selectedBackend();
    const attempt = selectBackend({ backend: 'tensorflow', quiet: true });
    await expect(attempt).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(attempt).rejects.toThrow(
      'backend "tensorflow" is not available: @tensorflow/tfjs-node-gpu is not installed; @tensorflow/tfjs-node is not installed. ' +
        'To use it: npm install @tensorflow/tfjs-node@4.22.0',
    );
    expect(tf.getBackend()).toBe('wasm');
    expect(selectedBackend()).toBe(before);
  });

  it("'webgpu' fails clearly when the webgpu package is not installed", async () => {
    await expect(selectBackend({ backend: 'webgpu', quiet: true })).rejects.toThrow(
      'backend "webgpu" is not available: the "webgpu" package (Dawn for Node) is not installed. To use it: npm install webgpu @tensorflow/tfjs-backend-webgpu@4.22.0',
    );
  });

  it('rejects unknown backends and override choices', async () => {
    await expect(selectBackend({ backend: 'gpu' as 'cpu' })).rejects.toThrow(InvalidArgumentError);
    await expect(selectBackend({ backend: 'gpu' as 'cpu' })).rejects.toThrow(
      'backend must be one of "auto", "tensorflow", "wasm", "webgpu", "cpu": got "gpu"',
    );
    await expect(selectBackend({ gradientOverrides: ['Conv3D' as 'Conv2D'] })).rejects.toThrow(
      'gradientOverrides[0] must be one of',
    );
  });

  it("honours gradientOverrides: 'none' and a list", async () => {
    expect((await selectBackend({ gradientOverrides: 'none', quiet: true })).overrides).toEqual([]);
    expect(activeGradientOverrides()).toEqual([]);
    expect((await selectBackend({ gradientOverrides: ['GatherV2'], quiet: true })).overrides).toEqual(['GatherV2']);
    expect((await selectBackend({ gradientOverrides: 'default', quiet: true })).overrides).toEqual([
      ...GRADIENT_OVERRIDES,
    ]);
  });

  it("honours kernelOverrides: 'none' keeps wasm's own kernels, 'default' puts dpo-ts's back", async () => {
    const own = await selectBackend({ kernelOverrides: 'none', quiet: true });
    expect(own.kernelOverrides).toBeUndefined();
    expect(activeWasmKernelOverrides()).toEqual([]);
    expect((await selectBackend({ kernelOverrides: 'default', quiet: true })).kernelOverrides).toEqual([
      ...KERNEL_OVERRIDES,
    ]);
    expect(activeWasmKernelOverrides()).toEqual([
      'BatchMatMul',
      'Sum',
      'SplitV',
      'Concat',
      'Identity',
      'Equal',
      'Transpose',
    ]);
    await expect(selectBackend({ kernelOverrides: 'all' as 'none' })).rejects.toThrow(
      'kernelOverrides must be one of "default", "none": got "all"',
    );
  });

  it(`reads ${BACKEND_ENV_VAR} when options.backend is absent`, async () => {
    const saved = process.env[BACKEND_ENV_VAR];
    process.env[BACKEND_ENV_VAR] = 'cpu';
    try {
      expect((await selectBackend({ quiet: true })).name).toBe('cpu');
      expect((await selectBackend({ backend: 'wasm', quiet: true })).name).toBe('wasm'); // options win
    } finally {
      if (saved === undefined) delete process.env[BACKEND_ENV_VAR];
      else process.env[BACKEND_ENV_VAR] = saved;
    }
  });
});

describe('ensureBuiltinGradients', () => {
  it("finds tfjs's own gradients registered (core registers them at import; so does the test setup)", async () => {
    expect(hasBuiltinGradients()).toBe(true);
    expect(await ensureBuiltinGradients()).toEqual({ registered: true, detail: 'already registered' });
  });
});

describe('resolveBackendRequest', () => {
  it('takes options first, then the environment, then auto', () => {
    expect(resolveBackendRequest('cpu', { [BACKEND_ENV_VAR]: 'wasm' })).toEqual({ request: 'cpu', source: 'options' });
    expect(resolveBackendRequest(undefined, { [BACKEND_ENV_VAR]: ' WASM ' })).toEqual({
      request: 'wasm',
      source: 'env',
    });
    expect(resolveBackendRequest(undefined, { [BACKEND_ENV_VAR]: '' })).toEqual({ request: 'auto', source: 'default' });
    expect(() => resolveBackendRequest(undefined, { [BACKEND_ENV_VAR]: 'cuda' })).toThrow(
      'DPO_TS_BACKEND must be one of "auto", "tensorflow", "wasm", "webgpu", "cpu": got "cuda"',
    );
  });
});
