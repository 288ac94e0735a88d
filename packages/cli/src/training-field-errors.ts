import { InvalidArgumentError } from '@dpo-ts/core';
import { closestName } from './closest-name.js';

/**
 * Runs `create` (a trainer's or a model's constructor, which validate their own config) and
 * renames the fields its `InvalidArgumentError`s name to the run config's: the library's
 * `config.x`, or a bare `x` that is one of `fields` (some validators name the field alone), becomes
 * `prefix.x` (`training.learningRate`, `model.gpt.dModel`). For an unknown field the library
 * lists the known ones; the message then adds the closest (`did you mean "learningRate"?`).
 */
export async function withRunConfigFieldNames<T>(
  prefix: string,
  fields: object,
  create: () => T | Promise<T>,
): Promise<T> {
  try {
    return await create();
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    const first = error.argument.split(/[.[]/)[0]!;
    let argument: string;
    if (first === 'config') argument = `${prefix}${error.argument.slice('config'.length)}`;
    else if (Object.hasOwn(fields, first)) argument = `${prefix}.${error.argument}`;
    else throw error;
    const known = /known fields: ([^)]*)\)/.exec(error.expected)?.[1]?.split(/,\s*/);
    const field = argument.split('.').pop() ?? '';
    const suggestion = known === undefined ? undefined : closestName(field, known);
    const detail = suggestion === undefined ? undefined : `did you mean "${suggestion}"?`;
    throw new InvalidArgumentError(argument, error.expected, error.actual, detail);
  }
}
