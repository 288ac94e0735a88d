import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  backendFingerprint,
  checksumScoreEntries,
  combineFingerprintParts,
  requireFingerprintParts,
} from './fingerprint.js';

afterAll(async () => {
  await tf.setBackend('cpu');
  tf.removeBackend('cpu-renamed');
});

describe('fingerprint parts', () => {
  it('combine independently of order, as SHA-256 of the sorted name=value pairs', () => {
    const expected = createHash('sha256').update('a=1\u0000b=2').digest('hex');
    expect(combineFingerprintParts({ b: '2', a: '1' })).toBe(expected);
    expect(combineFingerprintParts({ a: '1', b: '2' })).toBe(expected);
    expect(combineFingerprintParts({ a: '1', b: '3' })).not.toBe(expected);
    expect(() => requireFingerprintParts('fingerprint', {})).toThrow(
      'fingerprint must be a non-empty string or an object of named fingerprint parts: got {}',
    );
  });

  it('name the backend scores are computed on', async () => {
    expect(backendFingerprint()).toBe(`tfjs-backend:${tf.getBackend()}`);
    // Another backend gives another part (a renamed cpu backend stands in for wasm or webgpu).
    tf.registerBackend('cpu-renamed', tf.findBackendFactory('cpu')!);
    await tf.setBackend('cpu-renamed');
    expect(backendFingerprint()).toBe('tfjs-backend:cpu-renamed');
  });

  it('checksum every entry, so one changed digit changes it', () => {
    const entries = new Map([
      ['b', { chosen: -1.5, rejected: 2 }],
      ['a', { chosen: 0.1, rejected: -3 }],
    ]);
    const hand = createHash('sha256').update('fp\u0000"a":0.1:-3\n"b":-1.5:2\n').digest('hex');
    expect(checksumScoreEntries('fp', entries)).toBe(hand);
    entries.set('a', { chosen: 0.10000000000000002, rejected: -3 });
    expect(checksumScoreEntries('fp', entries)).not.toBe(hand);
  });
});
