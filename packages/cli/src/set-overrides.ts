import { InvalidArgumentError } from '@dpo-ts/core';

/** One `--set key=value`: a dotted path into the run config and its value. */
export interface SetOverride {
  /** The path's keys, `['training', 'learningRate']` for `training.learningRate`. */
  readonly path: readonly string[];
  /** The value: JSON when it parses as JSON (`1e-5`, `true`, `"x"`, `{...}`), else the text itself. */
  readonly value: unknown;
}

/**
 * Parses one `--set` argument, `key=value`: the key is a dotted path (`training.learningRate`),
 * the value JSON-parsed when it is valid JSON and kept as a string otherwise (so
 * `--set data.train=pairs.jsonl` needs no quotes).
 * @throws InvalidArgumentError naming `--set` for a missing `=` or an empty path segment.
 */
export function parseSetArgument(argument: string): SetOverride {
  const equals = argument.indexOf('=');
  if (equals <= 0)
    throw new InvalidArgumentError('--set', 'key=value with a dotted key (training.learningRate=1e-5)', argument);
  const key = argument.slice(0, equals);
  const path = key.split('.');
  if (path.some((segment) => segment.length === 0))
    throw new InvalidArgumentError('--set', 'a key of non-empty dotted segments (training.learningRate)', key);
  const text = argument.slice(equals + 1);
  let value: unknown = text;
  try {
    value = JSON.parse(text);
  } catch {
    // Not JSON: the plain string.
  }
  return { path, value };
}

/**
 * Applies `--set` overrides to a parsed run config, in order, creating missing objects along a
 * path. Returns a new object; `config` is not modified.
 * @throws InvalidArgumentError naming `--set` and the path when it runs through a value that is
 *   not an object (`--set training.beta.x=1` when `training.beta` is a number).
 */
export function applySetOverrides(
  config: Readonly<Record<string, unknown>>,
  overrides: readonly SetOverride[],
): Record<string, unknown> {
  const result = structuredClone(config) as Record<string, unknown>;
  for (const { path, value } of overrides) {
    let target = result;
    for (let i = 0; i < path.length - 1; i++) {
      const key = path[i]!;
      const next = target[key];
      if (next === undefined) target[key] = {};
      else if (next === null || typeof next !== 'object' || Array.isArray(next)) {
        throw new InvalidArgumentError(
          `--set ${path.join('.')}`,
          `a path through objects (${path.slice(0, i + 1).join('.')} is not an object)`,
          next,
        );
      }
      target = target[key] as Record<string, unknown>;
    }
    target[path[path.length - 1]!] = value;
  }
  return result;
}
