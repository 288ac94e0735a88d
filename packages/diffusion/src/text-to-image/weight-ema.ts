import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, requireInteger, requireNumber, type NamedVariables } from '@dpo-ts/core';

/**
 * The decay {@link WeightEMA.update} uses at its `updates`-th call (0-based):
 * min(decay, (1 + updates) / (10 + updates)), diffusers' `EMAModel` warm-up (`use_ema_warmup`
 * off, `update_after_step` 0): early averages follow the weights closely instead of
 * remembering the random initialisation for ~1 / (1 - decay) steps.
 */
export function emaDecayAt(decay: number, updates: number): number {
  return Math.min(decay, (1 + updates) / (10 + updates));
}

/**
 * An exponential moving average of a model's weights, kept as shadow variables:
 * shadow <- d shadow + (1 - d) weight after every optimiser step, with d from
 * {@link emaDecayAt}. Sampling from the average instead of the last iterate is the DDPM
 * practice (Ho et al. 2020, Appendix B: decay 0.9999) and what diffusers' `EMAModel` does.
 *
 * It owns its shadow variables ({@link WeightEMA.dispose} frees them); `update` leaves no tensor.
 * @see Ho et al. 2020, Appendix B; Song & Ermon 2020, Sec. 5 (EMA for score models).
 */
export class WeightEMA {
  /** Target decay d in [0, 1). */
  readonly decay: number;
  private readonly shadows = new Map<string, tf.Variable>();
  private updates = 0;

  /**
   * Starts the average at the current values of `variables` (copied, so later steps do not move it).
   * @param decay - d in [0, 1), e.g. 0.999.
   * @throws InvalidArgumentError naming `decay` when outside [0, 1).
   */
  constructor(
    private readonly variables: NamedVariables,
    decay: number,
  ) {
    requireNumber('decay', decay, { min: 0 });
    if (!(decay < 1)) throw new InvalidArgumentError('decay', 'a number in [0, 1)', decay);
    this.decay = decay;
    for (const [name, variable] of variables) {
      this.shadows.set(
        name,
        tf.tidy(() => tf.variable(tf.clone(variable), false)),
      );
    }
  }

  /** Updates made so far (the warm-up counter; saved in checkpoints as `updateCount`). */
  get updateCount(): number {
    return this.updates;
  }

  /** Sets the warm-up counter, when restoring a checkpoint. @throws InvalidArgumentError for a negative or fractional count. */
  set updateCount(count: number) {
    this.updates = requireInteger('updateCount', count, { min: 0 });
  }

  /** One averaging step with d = {@link emaDecayAt}(decay, updateCount); returns the d used. */
  update(): number {
    const d = emaDecayAt(this.decay, this.updates);
    tf.tidy(() => {
      for (const [name, variable] of this.variables) {
        const shadow = this.shadows.get(name)!;
        shadow.assign(tf.add(tf.mul(shadow, d), tf.mul(variable, 1 - d)));
      }
    });
    this.updates += 1;
    return d;
  }

  /** The shadow variables by the model's names (checkpoint them beside the weights, e.g. under an `ema.` prefix). */
  namedVariables(): NamedVariables {
    return this.shadows;
  }

  /** Copies the averages into the model's variables (before saving or sampling the averaged model). */
  copyToModel(): void {
    for (const [name, variable] of this.variables) variable.assign(this.shadows.get(name)!);
  }

  /**
   * Swaps the model's weights and the averages (call twice to undo): sample with the average in
   * the middle of training, then carry on from the raw weights.
   */
  swap(): void {
    tf.tidy(() => {
      for (const [name, variable] of this.variables) {
        const shadow = this.shadows.get(name)!;
        const raw = tf.clone(variable);
        variable.assign(shadow);
        shadow.assign(raw);
      }
    });
  }

  /** Frees the shadow variables (not the model's). */
  dispose(): void {
    for (const shadow of this.shadows.values()) shadow.dispose();
  }
}
