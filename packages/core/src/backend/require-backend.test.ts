import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { NoBackendError, requireBackend } from './require-backend.js';

// The test process already runs the cpu backend (vitest.setup.ts), so the case that matters,
// a fresh process where nothing registered a backend, runs in a child process on the build.
const DIST = fileURLToPath(new URL('../../dist/backend/index.js', import.meta.url));

describe('requireBackend', () => {
  it('passes when a backend runs', () => {
    expect(tf.getBackend()).toBe('cpu');
    expect(() => requireBackend('GPT')).not.toThrow();
  });

  it("says to call selectBackend() where tfjs would say 'No backend found in registry'", async () => {
    const script = `
      import * as tf from '@tensorflow/tfjs-core';
      const { requireBackend } = await import(${JSON.stringify(DIST)});
      let tfjs = 'no error';
      try { tf.zeros([1]); } catch (error) { tfjs = error.message; }
      try { requireBackend('GPT'); console.log(JSON.stringify({ tfjs, ours: 'no error' })); }
      catch (error) { console.log(JSON.stringify({ tfjs, ours: error.message, name: error.name })); }`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]);
    const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
    expect(result.tfjs).toBe('No backend found in registry.');
    expect(result.name).toBe('NoBackendError');
    expect(result.ours).toMatch(
      /^GPT needs a TensorFlow\.js backend and none is registered: call `await selectBackend\(\)`/,
    );
  });

  it('is a DPOTSError naming what needed the backend', () => {
    const error = new NoBackendError('UNet');
    expect(error.context).toBe('UNet');
    expect(error.message).toContain("import { selectBackend } from '@dpo-ts/core/backend'");
  });
});
