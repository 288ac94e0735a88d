import { InvalidArgumentError } from '@dpo-ts/core';
import { describe, expect, it } from 'vitest';
import { CodeVersionMismatchError, makeEnvelope, openEnvelope } from './job-envelope.js';
import { type JobKind, JobKindRegistry } from './job-kind.js';

const square: JobKind<{ x: number }, number> = {
  name: 'square',
  validate(payload) {
    const x = (payload as { x?: unknown } | null)?.x;
    if (typeof x !== 'number') throw new InvalidArgumentError('payload.x', 'a number', x);
    return { x };
  },
  run: async ({ x }) => x * x,
};

describe('JobKindRegistry', () => {
  it('refuses an unknown kind, naming the registered ones', () => {
    const registry = new JobKindRegistry([square]);
    expect(() => registry.get('cube')).toThrow('kind must be one of the registered job kinds (square): got "cube"');
  });

  it('refuses a second kind of the same name', () => {
    expect(() => new JobKindRegistry([square, square])).toThrow('kind.name must be a name not registered yet');
  });

  it('names the kind and the bad field of an invalid payload', () => {
    const registry = new JobKindRegistry([square]);
    expect(() => registry.validate('square', { x: 'two' })).toThrow(
      'payload of job kind square must be a valid payload: got {"x":"two"} (payload.x must be a number: got "two")',
    );
  });
});

describe('job envelopes', () => {
  const registry = new JobKindRegistry([square]);

  it('round-trips a valid job', () => {
    const envelope = makeEnvelope(registry, 'square', { x: 3 }, 'v1');
    expect(openEnvelope(registry, JSON.parse(JSON.stringify(envelope)), 'v1').payload).toEqual({ x: 3 });
  });

  it('refuses a job from another code version', () => {
    const envelope = makeEnvelope(registry, 'square', { x: 3 }, 'v1');
    expect(() => openEnvelope(registry, envelope, 'v2')).toThrow(CodeVersionMismatchError);
    expect(() => openEnvelope(registry, envelope, 'v2')).toThrow(
      'enqueued by code version "v1" but this worker runs "v2"',
    );
  });

  it('refuses malformed data, a bad payload and a key that does not match the content', () => {
    expect(() => openEnvelope(registry, 'hello', 'v1')).toThrow('job data must be a dpo-ts.job envelope of version 1');
    const envelope = makeEnvelope(registry, 'square', { x: 3 }, 'v1');
    expect(() => openEnvelope(registry, { ...envelope, payload: { x: null } }, 'v1')).toThrow(
      'payload.x must be a number',
    );
    expect(() => openEnvelope(registry, { ...envelope, payload: { x: 4 } }, 'v1')).toThrow(
      'job data.key must be the key of its content',
    );
    expect(() => makeEnvelope(registry, 'square', {}, 'v1')).toThrow('payload.x must be a number: got undefined');
  });
});
