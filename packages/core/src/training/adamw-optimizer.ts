import * as tf from '@tensorflow/tfjs-core';
import { DPOTSError } from '../errors/dpo-ts-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { requireFloat32, requireInteger } from '../errors/validate.js';
import { copyToHost } from '../parallel/copy-to-host.js';
import type { ParameterLayout } from '../parallel/parameter-layout.js';
import type { NamedVariables } from '../surrogate/preference-scorer.js';
import { AdamWHostMoments } from './adamw-host-moments.js';
import { assertFiniteValues, findNonFiniteTensor, type NonFiniteElement } from './non-finite-guard.js';

/** Gradients by the same stable names as the variables they belong to. */
export type GradientMap = ReadonlyMap<string, tf.Tensor>;

/** Hyper-parameters of {@link AdamWOptimizer}. Defaults are PyTorch's `torch.optim.AdamW`. */
export interface AdamWConfig {
  /** Used when {@link AdamWOptimizer.applyGradients} gets no learning rate. @defaultValue 1e-3 */
  readonly learningRate?: number;
  /** Decay of the first-moment average. @defaultValue 0.9 */
  readonly beta1?: number;
  /** Decay of the second-moment average. @defaultValue 0.999 */
  readonly beta2?: number;
  /** Added to the bias-corrected root second moment. @defaultValue 1e-8 */
  readonly epsilon?: number;
  /** Decoupled weight decay lambda; 0 turns it off. @defaultValue 0.01 */
  readonly weightDecay?: number;
  /**
   * Returns true for variables that get no weight decay (biases, norm gains, embeddings are
   * commonly excluded, as transformers' `get_parameter_names(model, ALL_LAYERNORM_LAYERS)`
   * does). Called once per variable at construction.
   * @defaultValue every variable is decayed (PyTorch's behaviour with one parameter group)
   */
  readonly excludeFromWeightDecay?: (name: string, variable: tf.Variable) => boolean;
}

/** {@link AdamWConfig} with every default filled in. */
export const DEFAULT_ADAMW_CONFIG = Object.freeze({
  /** PyTorch's `lr` default. */
  learningRate: 1e-3,
  /** PyTorch's `betas[0]` default. */
  beta1: 0.9,
  /** PyTorch's `betas[1]` default. */
  beta2: 0.999,
  /** PyTorch's `eps` default. */
  epsilon: 1e-8,
  /** PyTorch AdamW's `weight_decay` default (transformers' TrainingArguments use 0). */
  weightDecay: 0.01,
});

/**
 * Upper bounds on AdamW's hyper-parameters, checked with every value's float32 representability
 * (`requireFloat32`): beyond them an update overflows float32 or wipes the weights in one step,
 * which is a typo (`1e39` for `1e-3`), never a setting. A learning rate of 1000 already moves a
 * weight by about 1000 per step.
 */
export const ADAMW_LIMITS = Object.freeze({
  /** Largest accepted learning rate. */
  maxLearningRate: 1e3,
  /** Largest accepted decoupled weight decay lambda. */
  maxWeightDecay: 1e3,
  /** Largest accepted epsilon. */
  maxEpsilon: 1,
});

/** One variable's optimiser state, as plain arrays (row-major, float32). */
export interface AdamWMoments {
  /** Updates applied to this variable (PyTorch keeps the step per parameter too). */
  readonly step: number;
  /** The variable's shape; m and v hold its product of elements. */
  readonly shape: readonly number[];
  /** First-moment average m. */
  readonly m: Float32Array;
  /** Second-moment average v. */
  readonly v: Float32Array;
}

/** The whole serialisable state of an {@link AdamWOptimizer}; see {@link AdamWOptimizer.state}. */
export interface AdamWState {
  /** The optimiser kind, always `'adamw'`, checked when a checkpoint restores the state. */
  readonly type: 'adamw';
  /** Calls of {@link AdamWOptimizer.applyGradients} so far. */
  readonly step: number;
  /** Each variable's moments, by the variable's stable name. */
  readonly moments: ReadonlyMap<string, AdamWMoments>;
}

interface Slot {
  readonly variable: tf.Variable;
  readonly m: tf.Variable;
  readonly v: tf.Variable;
  readonly decay: boolean;
  step: number;
}

/**
 * AdamW over named variables, update for update PyTorch's `torch.optim.AdamW`
 * (`foreach=False`, `amsgrad=False`). For each variable with a gradient g at its step t:
 *
 *   theta <- theta * (1 - lr * lambda)                      (decoupled decay, skipped if excluded)
 *   m <- beta1 * m + (1 - beta1) * g
 *   v <- beta2 * v + (1 - beta2) * g^2
 *   theta <- theta - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 *
 * eps is added after the second-moment bias correction, as PyTorch does (Keras adds it before).
 * Variables absent from a gradient map are left alone, decay included, and their step does not
 * advance, as PyTorch skips parameters whose `.grad` is None.
 *
 * The moments m and v are `tf.Variable`s owned by the optimiser, created (zero) at
 * construction; {@link AdamWOptimizer.dispose} frees them. The model's variables stay the caller's.
 *
 * @see Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization", Algorithm 2.
 * @see Kingma & Ba 2015, "Adam", Algorithm 1 (bias correction).
 * @example
 * const optimizer = new AdamWOptimizer(model.namedVariables(), { weightDecay: 0 });
 * const { value, grads } = computeNamedGradients(() => lossFn(), model.namedVariables());
 * optimizer.applyGradients(grads, schedule(step));
 * tf.dispose([value, ...grads.values()]);
 */
export class AdamWOptimizer {
  /** The default learning rate (see {@link AdamWConfig.learningRate}). */
  readonly learningRate: number;
  /** First-moment decay. */
  readonly beta1: number;
  /** Second-moment decay. */
  readonly beta2: number;
  /** Denominator constant. */
  readonly epsilon: number;
  /** Decoupled weight-decay coefficient lambda. */
  readonly weightDecay: number;
  private readonly slots = new Map<string, Slot>();
  private stepCount = 0;
  private disposed = false;
  /** Where the moments of the fused step's variables live while it owns them (see hostMoments). */
  private host: AdamWHostMoments | undefined;

  /**
   * Validates `config` (merged over {@link DEFAULT_ADAMW_CONFIG}) and creates zero moments m and
   * v for every variable; the optimiser owns them until {@link AdamWOptimizer.dispose}.
   *
   * @param variables - the float32 variables to update, by stable name; they stay the caller's.
   * @param config - hyper-parameters; see {@link AdamWConfig}.
   * @throws InvalidArgumentError for an out-of-range hyper-parameter, an empty map or a
   *   non-float32 variable.
   */
  constructor(variables: NamedVariables, config: AdamWConfig = {}) {
    const resolved = { ...DEFAULT_ADAMW_CONFIG, ...config };
    this.learningRate = requireFloat32('learningRate', resolved.learningRate, {
      min: 0,
      max: ADAMW_LIMITS.maxLearningRate,
    });
    this.beta1 = requireFloat32('beta1', resolved.beta1, { min: 0, max: 1, exclusiveMax: true });
    this.beta2 = requireFloat32('beta2', resolved.beta2, { min: 0, max: 1, exclusiveMax: true });
    this.epsilon = requireFloat32('epsilon', resolved.epsilon, { min: 0, max: ADAMW_LIMITS.maxEpsilon });
    this.weightDecay = requireFloat32('weightDecay', resolved.weightDecay, {
      min: 0,
      max: ADAMW_LIMITS.maxWeightDecay,
    });
    if (variables.size === 0) throw new InvalidArgumentError('variables', 'a non-empty map of variables', []);
    for (const [name, variable] of variables) {
      if (variable.dtype !== 'float32') {
        throw new InvalidArgumentError(`variables.get("${name}").dtype`, '"float32"', variable.dtype);
      }
      const decay = !(config.excludeFromWeightDecay?.(name, variable) ?? false);
      this.slots.set(name, {
        variable,
        m: tf.tidy(() => tf.variable(tf.zerosLike(variable), false)),
        v: tf.tidy(() => tf.variable(tf.zerosLike(variable), false)),
        decay,
        step: 0,
      });
    }
  }

  /** Calls of {@link AdamWOptimizer.applyGradients} so far. */
  get step(): number {
    return this.stepCount;
  }

  /** Names of the variables this optimiser updates, in construction order. */
  variableNames(): string[] {
    return [...this.slots.keys()];
  }

  /** Whether a variable is weight-decayed (false if excluded by the predicate). */
  isDecayed(name: string): boolean {
    return this.slot(name, 'name').decay;
  }

  /**
   * One AdamW update of every variable that has an entry in `gradients`, each inside its own
   * `tf.tidy`. Everything is validated before any variable changes. The gradients are read,
   * not disposed: they stay the caller's.
   *
   * @param gradients - by variable name; each must have the variable's shape. Names the
   *   optimiser does not know are an error; missing names are skipped (see the class notes).
   * @param learningRate - this step's lr, usually from an {@link LRSchedule}; defaults to
   *   the configured {@link AdamWConfig.learningRate}.
   */
  applyGradients(gradients: GradientMap, learningRate: number = this.learningRate): void {
    this.assertAlive();
    requireFloat32('learningRate', learningRate, { min: 0, max: ADAMW_LIMITS.maxLearningRate });
    for (const [name, gradient] of gradients) {
      const slot = this.slot(name, 'gradients');
      if (!sameShape(gradient.shape, slot.variable.shape)) {
        throw new ShapeMismatchError(`gradients.get("${name}")`, slot.variable.shape, gradient.shape);
      }
    }
    this.releaseHostMoments();
    this.stepCount += 1;
    const { beta1, beta2, epsilon, weightDecay } = this;
    for (const [name, gradient] of gradients) {
      const slot = this.slots.get(name)!;
      slot.step += 1;
      const biasCorrection1 = 1 - beta1 ** slot.step;
      const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** slot.step);
      // One tidy per variable: intermediates of one variable are freed before the next.
      tf.tidy(() => {
        const g = gradient.dtype === 'float32' ? gradient : tf.cast(gradient, 'float32');
        let theta: tf.Tensor = slot.variable;
        if (slot.decay && weightDecay !== 0) theta = tf.mul(theta, 1 - learningRate * weightDecay);
        const m = tf.add(tf.mul(slot.m, beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(slot.v, beta2), tf.mul(tf.square(g), 1 - beta2));
        const denominator = tf.add(tf.div(tf.sqrt(v), biasCorrection2Sqrt), epsilon);
        const update = tf.mul(tf.div(m, denominator), learningRate / biasCorrection1);
        slot.m.assign(m);
        slot.v.assign(v);
        slot.variable.assign(tf.sub(theta, update));
      });
    }
  }

  /**
   * A copy of the whole state as plain arrays, read with `await tensor.data()` (webgpu needs
   * async reads). The arrays are fresh copies: mutating them does not touch the optimiser.
   */
  async state(): Promise<AdamWState> {
    this.assertAlive();
    const moments = new Map<string, AdamWMoments>();
    for (const [name, slot] of this.slots) {
      const held = this.host?.of(name);
      const [m, v] = held ? [held.m, held.v] : await Promise.all([slot.m.data(), slot.v.data()]);
      moments.set(name, {
        step: slot.step,
        shape: slot.variable.shape.slice(),
        m: Float32Array.from(m as Float32Array),
        v: Float32Array.from(v as Float32Array),
      });
    }
    return { type: 'adamw', step: this.stepCount, moments };
  }

  /**
   * The first variable (or, with `moments`, moment) holding a NaN or an infinity, in
   * construction order (variable, then its m, then its v), or undefined when all are finite.
   * One fused device reduction and a 4-byte download in the all-finite case (see
   * {@link findNonFiniteTensor}). Names are `variable "w"`, `optimizer m of "w"`,
   * `optimizer v of "w"`.
   *
   * @param options.moments - also check m and v (three times the work). `applyGradientStep`
   *   checks the variables only: m and v start at 0, are checked when loaded, and an update
   *   with a finite gradient (which it checks first) keeps them finite, while the variables
   *   can still overflow or become 0/0 (epsilon 0 with a zero gradient). Checkpoints check
   *   all three on save.
   *   @defaultValue true
   */
  async findNonFinite(options: { readonly moments?: boolean } = {}): Promise<NonFiniteElement | undefined> {
    this.assertAlive();
    const moments = options.moments ?? true;
    if (moments) this.releaseHostMoments();
    const tensors = new Map<string, tf.Tensor>();
    for (const [name, slot] of this.slots) {
      tensors.set(`variable "${name}"`, slot.variable);
      if (moments) {
        tensors.set(`optimizer m of "${name}"`, slot.m);
        tensors.set(`optimizer v of "${name}"`, slot.v);
      }
    }
    return findNonFiniteTensor(tensors);
  }

  /**
   * Replaces the state with one from {@link AdamWOptimizer.state} (or a checkpoint). Everything
   * is validated before anything is assigned: the names must be exactly this optimiser's
   * (a {@link DPOTSError} lists missing and unexpected ones), every shape must match its
   * variable ({@link ShapeMismatchError} naming it), no variable's step may exceed the
   * optimiser's, and every m and v must be finite with v >= 0 (`NonFiniteError` naming the
   * moment: a flipped sign bit would make sqrt(v) NaN at the next update). The arrays are copied.
   */
  loadState(state: AdamWState): void {
    this.assertAlive();
    if (state.type !== 'adamw') throw new InvalidArgumentError('state.type', '"adamw"', state.type);
    const stepCount = requireInteger('state.step', state.step, { min: 0 });
    const missing = [...this.slots.keys()].filter((name) => !state.moments.has(name));
    const unexpected = [...state.moments.keys()].filter((name) => !this.slots.has(name));
    if (missing.length > 0 || unexpected.length > 0) {
      throw new DPOTSError(
        `optimizer state does not match the optimizer's variables: ` +
          [
            missing.length > 0 ? `missing ${missing.map((n) => `"${n}"`).join(', ')}` : '',
            unexpected.length > 0 ? `unexpected ${unexpected.map((n) => `"${n}"`).join(', ')}` : '',
          ]
            .filter(Boolean)
            .join('; '),
      );
    }
    for (const [name, moments] of state.moments) {
      const shape = this.slots.get(name)!.variable.shape;
      if (!sameShape(moments.shape, shape)) {
        throw new ShapeMismatchError(`optimizer state for "${name}"`, shape, moments.shape);
      }
      const size = shape.reduce((a, b) => a * b, 1);
      requireInteger(`state.moments.get("${name}").step`, moments.step, { min: 0, max: stepCount });
      for (const key of ['m', 'v'] as const) {
        if (moments[key].length !== size) {
          throw new ShapeMismatchError(`optimizer state ${key} for "${name}"`, [size], [moments[key].length]);
        }
        assertFiniteValues(
          `optimizer state ${key} of "${name}"`,
          moments[key],
          stepCount,
          'refusing to load it',
          key === 'v',
        );
      }
    }
    // Every variable's moments are replaced, so the host buffers' values are obsolete.
    this.host = undefined;
    for (const [name, moments] of state.moments) {
      const slot = this.slots.get(name)!;
      tf.tidy(() => {
        slot.m.assign(tf.tensor(moments.m.slice(), slot.variable.shape, 'float32'));
        slot.v.assign(tf.tensor(moments.v.slice(), slot.variable.shape, 'float32'));
      });
      slot.step = moments.step;
    }
    this.stepCount = stepCount;
  }

  /** Frees m and v. The model's variables are untouched. Further use throws. */
  dispose(): void {
    if (this.disposed) return;
    this.host = undefined;
    for (const slot of this.slots.values()) {
      slot.m.dispose();
      slot.v.dispose();
    }
    this.disposed = true;
  }

  /**
   * Hands the moments of `layout`'s variables to flat host buffers, for core's fused AdamW step
   * (`applyFusedGradientStep`), which updates them in place: from then on those buffers are the
   * moments, until a tensor-path update ({@link AdamWOptimizer.applyGradients}), a moment check
   * ({@link AdamWOptimizer.findNonFinite}) or {@link AdamWOptimizer.loadState} takes them back.
   * {@link AdamWOptimizer.state} reads them where they are, so checkpoints do not change. The
   * first call for a layout copies the moments out (once); later calls return the same buffers.
   * @throws InvalidArgumentError naming `layout` for a variable the optimiser does not know;
   *   ShapeMismatchError for a shape that differs from the variable's.
   * @internal
   */
  async hostMoments(layout: ParameterLayout): Promise<AdamWHostMoments> {
    this.assertAlive();
    if (this.host?.matches(layout)) return this.host;
    for (const { name, shape } of layout.slots) {
      const variable = this.slot(name, 'layout').variable;
      if (!sameShape(shape, variable.shape))
        throw new ShapeMismatchError(`layout slot "${name}"`, variable.shape, shape);
    }
    this.releaseHostMoments();
    const host = new AdamWHostMoments(layout);
    for (const { name, offset } of layout.slots) {
      const slot = this.slots.get(name)!;
      await copyToHost(slot.m, host.m, offset);
      await copyToHost(slot.v, host.v, offset);
    }
    this.host = host;
    return host;
  }

  /**
   * Counts one fused update of the variables `names` (those with a gradient): the optimiser's
   * step and each variable's advance by one, as in {@link AdamWOptimizer.applyGradients}.
   * Validates `learningRate` first, changing nothing when it throws.
   * @returns each variable's new step t, in the order of `names`.
   * @internal
   */
  recordHostStep(names: readonly string[], learningRate: number): number[] {
    this.assertAlive();
    requireFloat32('learningRate', learningRate, { min: 0, max: ADAMW_LIMITS.maxLearningRate });
    const slots = names.map((name) => this.slot(name, 'gradients'));
    this.stepCount += 1;
    return slots.map((slot) => ++slot.step);
  }

  /** Copies the host moments (if any) back into the moment tensors, which become the moments again. */
  private releaseHostMoments(): void {
    const host = this.host;
    if (host === undefined) return;
    this.host = undefined;
    for (const { name, shape } of host.layout.slots) {
      const slot = this.slots.get(name)!;
      const { m, v } = host.of(name)!;
      tf.tidy(() => {
        slot.m.assign(tf.tensor(m.slice(), shape as number[], 'float32'));
        slot.v.assign(tf.tensor(v.slice(), shape as number[], 'float32'));
      });
    }
  }

  private slot(name: string, argument: string): Slot {
    const slot = this.slots.get(name);
    if (slot === undefined) {
      throw new InvalidArgumentError(argument, `a name of one of the optimizer's ${this.slots.size} variables`, name);
    }
    return slot;
  }

  private assertAlive(): void {
    if (this.disposed) throw new DPOTSError('AdamWOptimizer was used after dispose()');
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, i) => size === b[i]);
}
