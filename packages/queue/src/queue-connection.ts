import { InvalidArgumentError } from '@dpo-ts/core';

/** The BullMQ connection options of a Redis URL. */
export interface QueueConnection {
  /** The Redis URL, as given (`redis://` or `rediss://` for TLS; it may hold a password). */
  readonly url: string;
  /** BullMQ requires null: a command waits for Redis to come back instead of failing. */
  readonly maxRetriesPerRequest: null;
}

/**
 * Checks a Redis URL and turns it into BullMQ connection options. `redis://` is plain TCP,
 * `rediss://` is TLS; a password (`redis://:secret@host:6379`) or user and password
 * (`redis://user:secret@host:6379`) authenticate; a path selects the database (`/2`).
 *
 * @throws InvalidArgumentError naming `url` when it is not a redis:// or rediss:// URL.
 */
export function queueConnection(url: string, argument = 'url'): QueueConnection {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidArgumentError(argument, 'a Redis URL such as redis://127.0.0.1:6379 or rediss://host:6380', url);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
    throw new InvalidArgumentError(argument, 'a redis:// or rediss:// (TLS) URL', url);
  return { url, maxRetriesPerRequest: null };
}

/** A URL with its password replaced by `***`, for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(invalid URL)';
  }
}
