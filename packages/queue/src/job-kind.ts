import { InvalidArgumentError } from '@dpo-ts/core';

/** What a job's `run` gets besides its payload. */
export interface JobContext {
  /** The job's key ({@link jobKey}). */
  readonly key: string;
  /** Progress lines of this job (the worker prefixes them with the job). */
  readonly log: (line: string) => void;
  /** Aborted when the worker shuts down. */
  readonly signal?: AbortSignal;
}

/**
 * A kind of job, registered by name: `validate` turns an untrusted payload (it came over the
 * network) into a typed one or throws an error naming the bad field; `run` computes the result,
 * which must be JSON (it travels back through Redis and is stored on disk).
 */
export interface JobKind<TPayload = unknown, TResult = unknown> {
  /** Unique name, e.g. `bench-cell` or `reference-scores/tabular`. */
  readonly name: string;
  /**
   * Checks a payload and returns it typed.
   * @throws InvalidArgumentError (or another DPOTSError) naming the bad field.
   */
  validate(payload: unknown): TPayload;
  /** Computes the job's result from a validated payload; the result must be JSON. */
  run(payload: TPayload, context: JobContext): Promise<TResult>;
}

/** Any job kind, as a registry holds it. */
// biome-ignore lint/suspicious/noExplicitAny: kinds of every payload type live in one registry.
export type AnyJobKind = JobKind<any, any>;

/** Job kinds by name: what a worker can run and what a producer may enqueue. */
export class JobKindRegistry {
  private readonly kinds = new Map<string, AnyJobKind>();

  /**
   * A registry holding `kinds`, registered in order.
   * @param kinds - the kinds to register; none by default.
   * @throws InvalidArgumentError naming `kind.name` when a name is empty or given twice.
   */
  constructor(kinds: readonly AnyJobKind[] = []) {
    for (const kind of kinds) this.register(kind);
  }

  /**
   * Adds a kind.
   * @throws InvalidArgumentError when another kind has the same name.
   */
  register(kind: AnyJobKind): this {
    if (typeof kind.name !== 'string' || kind.name.length === 0)
      throw new InvalidArgumentError('kind.name', 'a non-empty string', kind.name);
    if (this.kinds.has(kind.name)) throw new InvalidArgumentError('kind.name', 'a name not registered yet', kind.name);
    this.kinds.set(kind.name, kind);
    return this;
  }

  /** Registered names, in registration order. */
  names(): string[] {
    return [...this.kinds.keys()];
  }

  /**
   * The kind called `name`.
   * @throws InvalidArgumentError naming the registered kinds when `name` is unknown.
   */
  get(name: unknown): AnyJobKind {
    const kind = typeof name === 'string' ? this.kinds.get(name) : undefined;
    if (kind === undefined)
      throw new InvalidArgumentError('kind', `one of the registered job kinds (${this.names().join(', ')})`, name);
    return kind;
  }

  /**
   * Validates `payload` for the kind called `name`, naming the kind in the error.
   * @returns the typed payload.
   */
  validate(name: unknown, payload: unknown): unknown {
    const kind = this.get(name);
    try {
      return kind.validate(payload);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new InvalidArgumentError(`payload of job kind ${kind.name}`, 'a valid payload', payload, reason);
    }
  }
}
