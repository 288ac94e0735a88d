import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import type { NamedVariables } from '../surrogate/preference-scorer.js';
import { copyToHost } from './copy-to-host.js';

/** Where one parameter lives in a flat float32 buffer. */
export interface ParameterSlot {
  /** The variable's name in the {@link NamedVariables} map. */
  readonly name: string;
  /** The variable's shape. */
  readonly shape: readonly number[];
  /** First element (not byte) in the buffer. */
  readonly offset: number;
  /** Number of elements, the product of `shape`. */
  readonly size: number;
}

/**
 * Variables of a model laid end to end in one float32 buffer, in the map's order: the shape of
 * the shared weight buffer (every variable, frozen ones included) and of the gradient buffers
 * (trainable ones) of data-parallel training. Plain data, so it travels to worker threads.
 */
export interface ParameterLayout {
  /** One slot per variable, in the map's order; offsets ascending and contiguous from 0. */
  readonly slots: readonly ParameterSlot[];
  /** Total elements. */
  readonly size: number;
}

/**
 * The {@link ParameterLayout} of the trainable variables of `variables` (`which` = 'trainable',
 * the gradients' layout) or of all of them ('all': the weights a replica copies, frozen parts
 * such as a DPO reference included), in iteration order.
 * @throws InvalidArgumentError when there is no trainable variable, or one is not float32.
 */
export function parameterLayout(variables: NamedVariables, which: 'trainable' | 'all' = 'trainable'): ParameterLayout {
  const slots: ParameterSlot[] = [];
  let offset = 0;
  for (const [name, variable] of variables) {
    if (which === 'trainable' && !variable.trainable) continue;
    if (variable.dtype !== 'float32')
      throw new InvalidArgumentError(`variables.${name}`, 'a float32 variable', variable.dtype);
    slots.push({ name, shape: variable.shape.slice(), offset, size: variable.size });
    offset += variable.size;
  }
  if (slots.length === 0) throw new InvalidArgumentError('variables', 'a map with at least one trainable variable', []);
  return { slots, size: offset };
}

/**
 * Checks that a replica's variables (trainable ones, or all) have the layout's names and
 * shapes, in order.
 * @param label - who owns `variables`, for the message (`worker 1 replica`).
 * @throws InvalidArgumentError for a different name set or order; ShapeMismatchError for a shape.
 */
export function assertSameLayout(
  layout: ParameterLayout,
  variables: NamedVariables,
  label: string,
  which: 'trainable' | 'all' = 'trainable',
): void {
  const actual = parameterLayout(variables, which);
  const names = actual.slots.map((slot) => slot.name);
  const expected = layout.slots.map((slot) => slot.name);
  if (names.join('\n') !== expected.join('\n')) {
    throw new InvalidArgumentError(
      `${label} ${which === 'all' ? '' : 'trainable '}variables`,
      `the names [${expected.join(', ')}] in that order`,
      names,
    );
  }
  layout.slots.forEach((slot, i) => {
    const shape = actual.slots[i]!.shape;
    if (shape.join() !== slot.shape.join())
      throw new ShapeMismatchError(`${label} variable ${slot.name}`, slot.shape, shape);
  });
}

/**
 * Copies the values of the layout's variables into `target` (the shared parameter buffer).
 * Reads each variable in place where the backend allows (`copyToHost`); creates no tensor.
 */
export async function writeParameters(
  layout: ParameterLayout,
  variables: NamedVariables,
  target: Float32Array,
): Promise<void> {
  for (const slot of layout.slots) {
    const variable = variables.get(slot.name);
    if (variable === undefined)
      throw new InvalidArgumentError('variables', `a variable named ${slot.name}`, [...variables.keys()]);
    await copyToHost(variable, target, slot.offset);
  }
}

/** Backends whose tensors copy host values into their own memory when created (never keep a view). */
const COPYING_BACKENDS: ReadonlySet<string> = new Set(['wasm']);

/**
 * Assigns `source` (the shared parameter buffer) to the layout's variables. On wasm, which
 * copies host values into its heap when a tensor is made, straight from views of `source`;
 * elsewhere each slice is copied first (the cpu backend would otherwise keep a view of shared
 * memory the main thread rewrites). Leaves no tensor behind.
 */
export function readParameters(layout: ParameterLayout, source: Float32Array, variables: NamedVariables): void {
  const view = COPYING_BACKENDS.has(tf.getBackend());
  for (const slot of layout.slots) {
    const end = slot.offset + slot.size;
    const values = view ? source.subarray(slot.offset, end) : source.slice(slot.offset, end);
    tf.tidy(() => variables.get(slot.name)!.assign(tf.tensor(values, slot.shape as number[], 'float32')));
  }
}
