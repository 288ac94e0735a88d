import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeMismatchError, requireBoolean, requireInteger, requireNumber } from '@dpo-ts/core';
import { Rng } from '@dpo-ts/core/training';
import { requireBackend } from '@dpo-ts/core/backend';
import type { Checkpointable, NamedVariables } from '@dpo-ts/core';

/** Options of a {@link ScalarHead}. */
export interface ScalarHeadOptions {
  /** Width of the hidden states it reads (the backbone's `dModel`). */
  readonly inputSize: number;
  /**
   * Add a learned bias. Reward models follow Hugging Face's `GPT2ForSequenceClassification`
   * (`score = nn.Linear(n_embd, 1, bias=False)`: a Bradley-Terry loss cannot see a constant
   * shift anyway); PPO value heads follow TRL's original `ValueHead` (with bias).
   * @defaultValue false
   */
  readonly bias?: boolean;
  /** Standard deviation of the N(0, initStd²) kernel initialisation; 0 gives a zero head. @defaultValue 0.02 */
  readonly initStd?: number;
  /** Seed of the initialisation (core's `Rng`, so every backend gets the same weights). @defaultValue 0 */
  readonly seed?: number;
  /** Stable name prefix of the variables: `<name>.kernel`, `<name>.bias`. @defaultValue 'score' */
  readonly name?: string;
}

/**
 * A linear map from hidden states to one number per position: `h w (+ b)`, kernel `w`
 * `[inputSize, 1]`. The reward head of a {@link SequenceRewardModel} and the value head of
 * PPO. Computed as a 2-D matmul over `[B*T, d]` (wasm's fast path).
 *
 * The head owns its variables; {@link ScalarHead.dispose} frees them.
 *
 * @see Ziegler et al. 2019, Sec. 2 (reward model: a linear head on the final embedding);
 *   Hugging Face `GPT2ForSequenceClassification.score`.
 */
export class ScalarHead implements Checkpointable {
  /** Width of the inputs. */
  readonly inputSize: number;
  /** Stable name prefix of the variables. */
  readonly name: string;
  private readonly variables: Map<string, tf.Variable>;
  private disposed = false;

  /**
   * Validates `options` and creates the head's variables (`<name>.kernel` `[inputSize, 1]` drawn
   * from N(0, initStd^2) with core's `Rng`, and `<name>.bias` when asked). The head owns them
   * and frees them in {@link ScalarHead.dispose}.
   * @throws InvalidArgumentError for a bad option; NoBackendError before `selectBackend()`.
   */
  constructor(options: ScalarHeadOptions) {
    this.inputSize = requireInteger('options.inputSize', options.inputSize, { min: 1 });
    const bias = requireBoolean('options.bias', options.bias ?? false);
    const initStd = requireNumber('options.initStd', options.initStd ?? 0.02, { min: 0 });
    const seed = requireInteger('options.seed', options.seed ?? 0, { min: 0, max: 2 ** 32 - 1 });
    this.name = options.name ?? 'score';
    requireBackend('ScalarHead');
    if (typeof this.name !== 'string' || this.name.length === 0)
      throw new InvalidArgumentError('options.name', 'a non-empty string', options.name);
    const rng = new Rng(seed);
    const values = new Float32Array(this.inputSize);
    for (let i = 0; i < values.length; i++) values[i] = rng.normal() * initStd + 0; // + 0: no -0 when initStd is 0
    // Inside tidy: the initial values are copied into the variables and freed.
    this.variables = new Map([
      [`${this.name}.kernel`, tf.tidy(() => tf.variable(tf.tensor2d(values, [this.inputSize, 1]), true))],
    ]);
    if (bias)
      this.variables.set(
        `${this.name}.bias`,
        tf.tidy(() => tf.variable(tf.zeros([1]), true)),
      );
  }

  /** Whether the head has a bias. */
  get hasBias(): boolean {
    return this.variables.has(`${this.name}.bias`);
  }

  /**
   * One number per position: `[B, T, d] -> [B, T]` (or `[N, d] -> [N]`). Differentiable in the
   * head's and the input's variables. New tensor; the caller disposes it.
   */
  apply(hidden: tf.Tensor3D): tf.Tensor2D;
  apply(hidden: tf.Tensor2D): tf.Tensor1D;
  apply(hidden: tf.Tensor2D | tf.Tensor3D): tf.Tensor1D | tf.Tensor2D {
    this.assertAlive();
    const d = hidden.shape[hidden.rank - 1]!;
    if (d !== this.inputSize || (hidden.rank !== 2 && hidden.rank !== 3)) {
      throw new ShapeMismatchError(
        'hidden',
        hidden.rank === 3 ? [null, null, this.inputSize] : [null, this.inputSize],
        hidden.shape,
      );
    }
    return tf.tidy(() => {
      const outer = hidden.shape.slice(0, -1);
      const flat = tf.reshape(hidden, [-1, d]) as tf.Tensor2D; // [B*T, d]
      let out: tf.Tensor = tf.matMul(flat, this.variables.get(`${this.name}.kernel`)! as tf.Tensor2D); // [B*T, 1]
      const bias = this.variables.get(`${this.name}.bias`);
      if (bias !== undefined) out = tf.add(out, bias);
      return tf.reshape<tf.Rank>(out, outer) as tf.Tensor1D | tf.Tensor2D;
    });
  }

  /** `<name>.kernel` (and `<name>.bias`) by stable name. */
  namedVariables(): NamedVariables {
    this.assertAlive();
    return this.variables;
  }

  /** Overwrites the weights from tensors with the same names and shapes (copied, not kept). */
  assignWeights(weights: ReadonlyMap<string, tf.Tensor>): void {
    this.assertAlive();
    for (const [name, variable] of this.variables) {
      const value = weights.get(name);
      if (value === undefined) throw new InvalidArgumentError('weights', `an entry "${name}"`, [...weights.keys()]);
      if (value.shape.join() !== variable.shape.join())
        throw new ShapeMismatchError(`weights.get("${name}")`, variable.shape, value.shape);
    }
    for (const [name, variable] of this.variables) variable.assign(weights.get(name)!);
  }

  /** Frees the variables; the head is unusable afterwards. */
  dispose(): void {
    if (this.disposed) return;
    for (const variable of this.variables.values()) variable.dispose();
    this.disposed = true;
  }

  private assertAlive(): void {
    if (this.disposed) throw new InvalidArgumentError('head', 'not disposed', 'a disposed ScalarHead');
  }
}
