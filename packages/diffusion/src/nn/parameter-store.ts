import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, type NamedVariables } from '@dpo-ts/core';
import type { Rng } from '@dpo-ts/core/training';

/**
 * Creates a network's weights from a seeded {@link Rng} on the host and keeps them by stable
 * name (`down.0.res.0.conv1.kernel`), the unit checkpoints save and load.
 *
 * tfjs variable names are global to the engine, so two models built from one config (policy
 * and reference) would clash if the stable names were used as tfjs names; the tfjs names stay
 * automatic and the stable names live in this map only.
 *
 * Initialisation follows PyTorch's defaults, which most published diffusion UNets inherit:
 * dense and conv weights and biases ~ U(-1/sqrt(fanIn), 1/sqrt(fanIn)) (kaiming_uniform with
 * a = sqrt(5)), embeddings ~ N(0, 1), norm scales 1 and shifts 0. Layers that Ho et al.
 * initialise at zero (the last conv of each residual block, the output conv) use `zeros`.
 */
export class ParameterStore {
  private readonly variables = new Map<string, tf.Variable>();

  constructor(private readonly rng: Rng) {}

  /** U(-bound, bound) entries. */
  uniform(name: string, shape: readonly number[], bound: number): tf.Variable {
    return this.add(name, shape, () => (2 * this.rng.uniform() - 1) * bound);
  }

  /** N(0, std^2) entries. */
  normal(name: string, shape: readonly number[], std = 1): tf.Variable {
    return this.add(name, shape, () => this.rng.normal() * std);
  }

  /** A constant. */
  constant(name: string, shape: readonly number[], value: number): tf.Variable {
    return this.add(name, shape, () => value);
  }

  /** All zeros. */
  zeros(name: string, shape: readonly number[]): tf.Variable {
    return this.constant(name, shape, 0);
  }

  /** Every variable by stable name, in creation order. */
  namedVariables(): NamedVariables {
    return this.variables;
  }

  private add(name: string, shape: readonly number[], draw: () => number): tf.Variable {
    if (this.variables.has(name)) throw new InvalidArgumentError('name', 'unique within a model', name);
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = draw();
    const variable = tf.tidy(() => tf.variable(tf.tensor(values, shape.slice(), 'float32'), true));
    this.variables.set(name, variable);
    return variable;
  }
}
