import { InvalidArgumentError, requireInteger, requireOneOf, requireString } from '@dpo-ts/core';
import type { BackendRequest } from '@dpo-ts/core/backend';

/** Backends a data job may name (what core's `selectBackend` accepts). */
export const JOB_BACKENDS: readonly BackendRequest[] = ['auto', 'wasm', 'cpu', 'webgpu', 'tensorflow'];

/**
 * A job payload as an object whose fields are read with checks that name them
 * (`payload.modelDir must be a non-empty string: got 3`): payloads come over the network, so
 * every field is checked before a job touches a file or a tensor.
 */
export class PayloadFields {
  private readonly fields: Record<string, unknown>;

  /**
   * @param payload - the untrusted payload.
   * @param name - how errors name it. @defaultValue 'payload'
   * @throws InvalidArgumentError when `payload` is not a plain object.
   */
  constructor(
    payload: unknown,
    private readonly name = 'payload',
  ) {
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload))
      throw new InvalidArgumentError(name, 'an object', payload);
    this.fields = payload as Record<string, unknown>;
  }

  /** A non-empty string field. */
  string(field: string): string {
    return requireString(`${this.name}.${field}`, this.fields[field]);
  }

  /** An integer field within `range`. */
  integer(field: string, range: { min?: number; max?: number } = {}): number {
    return requireInteger(`${this.name}.${field}`, this.fields[field], range);
  }

  /** One of `allowed`. */
  oneOf<T extends string>(field: string, allowed: readonly T[]): T {
    return requireOneOf(`${this.name}.${field}`, this.fields[field], allowed);
  }

  /** A backend name ({@link JOB_BACKENDS}). */
  backend(field = 'backend'): BackendRequest {
    return this.oneOf(field, JOB_BACKENDS);
  }

  /** An array of integers within `range`, non-empty unless `allowEmpty`. */
  integers(field: string, range: { min?: number; max?: number } = {}, allowEmpty = false): number[] {
    const value = this.fields[field];
    const expected = `${allowEmpty ? 'an' : 'a non-empty'} array of integers`;
    if (!Array.isArray(value) || (!allowEmpty && value.length === 0))
      throw new InvalidArgumentError(`${this.name}.${field}`, expected, value);
    for (const [i, item] of value.entries()) requireInteger(`${this.name}.${field}[${i}]`, item, range);
    return value as number[];
  }

  /** A non-empty array of strings (empty strings allowed as items). */
  strings(field: string): string[] {
    const value = this.fields[field];
    if (!Array.isArray(value) || value.length === 0 || !value.every((item) => typeof item === 'string'))
      throw new InvalidArgumentError(`${this.name}.${field}`, 'a non-empty array of strings', value);
    return value as string[];
  }

  /** A nested object field, read with the same checks. */
  object(field: string): PayloadFields {
    return new PayloadFields(this.fields[field], `${this.name}.${field}`);
  }

  /** The raw value of a field (for optional fields). */
  raw(field: string): unknown {
    return this.fields[field];
  }
}
