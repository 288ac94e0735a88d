import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { aotLoss } from './aot-loss.js';
import { aotUnpairedLoss } from './aot-unpaired-loss.js';
import { apoDownLoss } from './apo-down-loss.js';
import { apoZeroLoss } from './apo-zero-loss.js';
import { bcoPairLoss } from './bco-pair-loss.js';
import { discopopLoss } from './discopop-loss.js';
import { exoPairLoss } from './exo-pair-loss.js';
import { hingeLoss } from './hinge-loss.js';
import { ipoLoss } from './ipo-loss.js';
import { ncaPairLoss } from './nca-pair-loss.js';
import type { PreferenceLoss, PreferenceLossType } from './preference-loss.js';
import { robustLoss } from './robust-loss.js';
import { sftLoss } from './sft-loss.js';
import { sigmoidLoss } from './sigmoid-loss.js';
import { sigmoidNormLoss } from './sigmoid-norm-loss.js';
import { sppoHardLoss } from './sppo-hard-loss.js';

/**
 * Every preference loss by its TRL `loss_type` name. Adding a name to
 * {@link PreferenceLossType} without an entry here fails to compile.
 */
export const PREFERENCE_LOSSES = Object.freeze({
  /** DPO's logistic loss -log sigmoid(beta * margin), label-smoothed as cDPO (Rafailov et al. 2023, Eq. 7). */
  sigmoid: sigmoidLoss,
  /** Robust DPO: unbiased under labels flipped with probability labelSmoothing (Chowdhury et al. 2024). */
  robust: robustLoss,
  /** IPO: squared loss pulling the (length-normalised) margin to 1/(2 beta) (Azar et al. 2023). */
  ipo: ipoLoss,
  /** SLiC's hinge max(0, 1 - beta * margin), as RSO uses it (Zhao et al. 2023). */
  hinge: hingeLoss,
  /** EXO for pairs: reverse KL to the label-smoothed preference distribution (Ji et al. 2024, Eq. 16). */
  exo_pair: exoPairLoss,
  /** Noise Contrastive Alignment for pairs: scores each response's own reward (Chen et al. 2024). */
  nca_pair: ncaPairLoss,
  /** Binary Classifier Optimisation for pairs, rewards shifted by a running mean (Jung et al. 2024). */
  bco_pair: bcoPairLoss,
  /** SPPO with hard win probabilities: log-ratios regressed onto +-1/(2 beta) (Wu et al. 2024). */
  sppo_hard: sppoHardLoss,
  /** AOT for paired data: sorted policy margins against sorted reference margins (Melnyk et al. 2024). */
  aot: aotLoss,
  /** AOT for unpaired data: sorted chosen against sorted rejected log-ratios (TRL's former `aot_pair`). */
  aot_unpaired: aotUnpairedLoss,
  /** APO, zero anchor: raise the chosen, lower the rejected likelihood (D'Oosterlinck et al. 2024). */
  apo_zero: apoZeroLoss,
  /** APO, down anchor: lower both likelihoods, the rejected more (D'Oosterlinck et al. 2024). */
  apo_down: apoDownLoss,
  /** DiscoPOP: logistic and exponential losses mixed by the margin, temperature discopopTau (Lu et al. 2024, Eq. 5). */
  discopop: discopopLoss,
  /** Length-normalised DPO with SimPO's target margin simpoGamma (Meng et al. 2024). */
  sigmoid_norm: sigmoidNormLoss,
  /** Per-unit negative log-likelihood of the chosen response, for multi-loss mixes such as MPO. */
  sft: sftLoss,
} as const satisfies Record<PreferenceLossType, PreferenceLoss>);

/** Every loss type name, in TRL's documentation order; for validation, docs and CLIs. */
export const PREFERENCE_LOSS_TYPES: readonly PreferenceLossType[] = Object.freeze(
  Object.keys(PREFERENCE_LOSSES) as PreferenceLossType[],
);

/** Names TRL used to accept, with what to write instead. */
const RENAMED_LOSS_TYPES: Readonly<Record<string, string>> = {
  aot_pair: 'TRL renamed "aot_pair" (the unpaired AOT loss) to "aot_unpaired"; use "aot_unpaired"',
};

/** True when `name` is one of {@link PREFERENCE_LOSS_TYPES}. */
export function isPreferenceLossType(name: unknown): name is PreferenceLossType {
  return typeof name === 'string' && Object.hasOwn(PREFERENCE_LOSSES, name);
}

/**
 * The loss variant registered under `type`.
 *
 * @param argument name used in the error message, for callers validating a config field.
 * @throws {@link InvalidArgumentError} for an unknown name, listing the known ones (and the new
 *   spelling for TRL's deprecated `aot_pair`).
 * @example getPreferenceLoss('ipo').compute(context)
 */
export function getPreferenceLoss(type: string, argument = 'type'): PreferenceLoss {
  if (!isPreferenceLossType(type)) {
    const expected = `one of ${PREFERENCE_LOSS_TYPES.map((name) => `"${name}"`).join(', ')}`;
    const hint = typeof type === 'string' ? RENAMED_LOSS_TYPES[type] : undefined;
    throw new InvalidArgumentError(argument, expected, type, hint);
  }
  return PREFERENCE_LOSSES[type];
}
