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
  const message = String((error as { message?: unknown }).message ?? '');
  // Node: "Cannot find package 'x' imported from ..." / "Cannot find module 'x'";
  // vite / vitest: 'Could not resolve "x" imported by ...', 'Failed to load url x'.
  // Only the package itself counts: a missing dependency of an installed package is a failure.
  return [
    `Cannot find package '${specifier}'`,
    `Cannot find module '${specifier}'`,
    `Could not resolve "${specifier}"`,
    `Failed to load url ${specifier} `,
  ].some((pattern) => message.includes(pattern));
}

/** First line of an error's message, for one-line reports. */
export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n', 1)[0] ?? text;
}
