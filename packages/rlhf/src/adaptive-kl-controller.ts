import { InvalidArgumentError, requireNumber } from '@dpo-ts/core';

/** The serialisable state of a {@link KLController}, saved in checkpoints. */
export type KLControllerState =
  | {
      /** A {@link FixedKLController}. */
      readonly type: 'fixed';
      /** The constant coefficient β, >= 0. */
      readonly value: number;
    }
  | {
      /** An {@link AdaptiveKLController}. */
      readonly type: 'adaptive';
      /** The coefficient β at the time of saving, >= 0. */
      readonly value: number;
      /** The target KL, nats per sample (> 0). */
      readonly target: number;
      /** The horizon, in samples (> 0). */
      readonly horizon: number;
    };

/** A KL-penalty coefficient β that may change after each PPO update. */
export interface KLController {
  /** The current coefficient β (`kl_coef`). */
  readonly value: number;
  /**
   * Called once per PPO update with the measured KL (the batch mean of each sample's summed
   * per-token KL, `objective/kl`) and the number of samples behind it.
   */
  update(currentKl: number, nSteps: number): void;
  /** A plain copy of the state, for checkpoints. */
  state(): KLControllerState;
}

/** A constant β (TRL's current `PPOTrainer`, `kl_coef`). */
export class FixedKLController implements KLController {
  readonly value: number;

  /**
   * @param klCoef - the constant β (TRL's `kl_coef`), >= 0.
   * @throws InvalidArgumentError naming `klCoef` when it is negative or not a number.
   */
  constructor(klCoef: number) {
    this.value = requireNumber('klCoef', klCoef, { min: 0 });
  }

  /** A fixed coefficient ignores the measurement. */
  update(currentKl: number, nSteps: number): void {
    requireNumber('currentKl', currentKl);
    requireNumber('nSteps', nSteps, { min: 0 });
  }

  state(): KLControllerState {
    return { type: 'fixed', value: this.value };
  }
}

/**
 * Ziegler et al.'s adaptive KL controller, a proportional controller on log β that steers the
 * KL towards a target:
 *
 *   e_t = clip(KL_t / KL_target - 1, -0.2, 0.2)
 *   β_{t+1} = β_t (1 + K_β e_t n_t),   K_β = 1 / horizon
 *
 * with n_t the samples of the update. Above target, β grows (by at most 0.2 n / horizon per
 * update); below, it shrinks.
 *
 * @see Ziegler et al. 2019, "Fine-Tuning Language Models from Human Preferences", Sec. 2.2
 *   (the paper writes β_{t+1} = β_t (1 + K_β e_t) with K_β = 0.1; OpenAI's code, which TRL
 *   follows, scales the gain by the update's samples, n_t / horizon); OpenAI lm-human-preferences
 *   `train_policy.py` `AdaptiveKLController`; TRL's original `PPOTrainer` (`adap_kl_ctrl`,
 *   `init_kl_coef` 0.2, `target` 6, `horizon` 10000).
 */
export class AdaptiveKLController implements KLController {
  /** The target KL (nats per sample, summed over tokens). */
  readonly target: number;
  /** The horizon; the controller's gain is 1 / horizon per sample. */
  readonly horizon: number;
  private coefficient: number;

  /**
   * @param initKlCoef - the starting β (TRL's `init_kl_coef`), >= 0.
   * @param target - the KL to steer towards, nats per sample, > 0 (TRL's `target`).
   * @param horizon - samples over which an error is corrected, > 0 (TRL's `horizon`).
   * @throws InvalidArgumentError naming the argument that is out of range.
   */
  constructor(initKlCoef: number, target: number, horizon: number) {
    this.coefficient = requireNumber('initKlCoef', initKlCoef, { min: 0 });
    this.target = requireNumber('target', target, { min: 0, exclusiveMin: true });
    this.horizon = requireNumber('horizon', horizon, { min: 0, exclusiveMin: true });
  }

  get value(): number {
    return this.coefficient;
  }

  /** Applies the update rule above. */
  update(currentKl: number, nSteps: number): void {
    requireNumber('currentKl', currentKl);
    requireNumber('nSteps', nSteps, { min: 0 });
    const proportionalError = Math.min(Math.max(currentKl / this.target - 1, -0.2), 0.2);
    this.coefficient *= 1 + (proportionalError * nSteps) / this.horizon;
  }

  state(): KLControllerState {
    return { type: 'adaptive', value: this.coefficient, target: this.target, horizon: this.horizon };
  }

  /** Continues from a saved state. */
  static fromState(state: Extract<KLControllerState, { type: 'adaptive' }>): AdaptiveKLController {
    return new AdaptiveKLController(state.value, state.target, state.horizon);
  }
}

/** Rebuilds a controller from {@link KLController.state}. */
export function klControllerFromState(state: KLControllerState): KLController {
  if (state?.type === 'fixed') return new FixedKLController(state.value);
  if (state?.type === 'adaptive') return AdaptiveKLController.fromState(state);
  throw new InvalidArgumentError(
    'state.type',
    '"fixed" or "adaptive"',
    (state as { type?: unknown } | undefined)?.type,
  );
}
