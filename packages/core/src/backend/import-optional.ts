/** Outcome of {@link importOptional}. */
export type OptionalImport =
  | { readonly status: 'loaded'; readonly module: Record<string, unknown> }
  | { readonly status: 'missing' }
  | { readonly status: 'failed'; readonly error: unknown };

/**
 * Imports a package that may not be installed (an optional peer dependency) without making
 * TypeScript or a bundler resolve it: the specifier is a variable. Tells "not installed" (the
 * package itself cannot be found) from "installed but fails to load" (a native binary missing,
 * a dependency of it missing), which callers report differently.
 */
export async function importOptional(specifier: string): Promise<OptionalImport> {
  try {
    const module = (await import(specifier)) as Record<string, unknown>;
    return { status: 'loaded', module };
  } catch (error) {
    return isNotFound(error, specifier) ? { status: 'missing' } : { status: 'failed', error };
  }
}

function isNotFound(error: unknown, specifier: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  const notFoundCode = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || code === 'ERR_LOAD_URL';
  // Only the package itself: a missing dependency of an installed package is a load failure.
  return notFoundCode && typeof message === 'string' && (message.includes(`'${specifier}'`) || message.includes(`"${specifier}"`) || message.includes(`${specifier} `));
}

/** First line of an error's message, for one-line reports. */
export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n', 1)[0] ?? text;
}
