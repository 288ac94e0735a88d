import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';
import { jobKey } from './job-key.js';

describe('canonicalJson', () => {
  it('sorts keys at every level and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, 1], c: null } })).toBe('{"a":{"c":null,"d":[3,1]},"b":1}');
  });

  it('refuses values JSON cannot carry exactly, naming the path', () => {
    expect(() => canonicalJson({ rates: [1, Number.NaN] }, 'payload')).toThrow(
      'payload.rates[1] must be a finite number: got NaN',
    );
    expect(() => canonicalJson({ a: undefined }, 'payload')).toThrow('payload.a must be a JSON value: got undefined');
    expect(() => canonicalJson({ when: new Date(0) }, 'payload')).toThrow('payload.when must be a JSON value');
  });
});

describe('jobKey', () => {
  it('is the SHA-256 of the canonical JSON of kind, payload and code version', () => {
    const expected = createHash('sha256')
      .update('{"codeVersion":"v1","kind":"bench-cell","payload":{"seed":1,"x":"a"}}')
      .digest('hex');
    expect(jobKey({ kind: 'bench-cell', payload: { x: 'a', seed: 1 }, codeVersion: 'v1' })).toBe(expected);
  });

  it('changes with each input and not with key order', () => {
    const base = { kind: 'k', payload: { a: 1, b: 2 }, codeVersion: 'v1' };
    const key = jobKey(base);
    expect(jobKey({ ...base, payload: { b: 2, a: 1 } })).toBe(key);
    expect(jobKey({ ...base, payload: { a: 1, b: 3 } })).not.toBe(key);
    expect(jobKey({ ...base, kind: 'other' })).not.toBe(key);
    expect(jobKey({ ...base, codeVersion: 'v2' })).not.toBe(key);
  });
});
