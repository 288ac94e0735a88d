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
  sigmoid: sigmoidLoss,
  robust: robustLoss,
  ipo: ipoLoss,
  hinge: hingeLoss,
  exo_pair: exoPairLoss,
  nca_pair: ncaPairLoss,
  bco_pair: bcoPairLoss,
  sppo_hard: sppoHardLoss,
  aot: aotLoss,
  aot_unpaired: aotUnpairedLoss,
  apo_zero: apoZeroLoss,
  apo_down: apoDownLoss,
  discopop: discopopLoss,
  sigmoid_norm: sigmoidNormLoss,
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
