import { addCosts, type ComputeCost } from './compute-cost.js';
import type { SeedMethodResult, SeedPreparation, ValidationResult } from './experiment-seed.js';
import { leverShareOfGain } from './gaming-check.js';
import { measureMethod, type MethodMeasurement } from './measure-method.js';
import type { ExperimentMethod, MethodOutcome, SweepSetting } from './method-registry.js';
import { englishLossFlags } from './quality-guards.js';
import { mean } from './statistics.js';

/** What one (method, setting, seed) cell measured (JSON). */
export interface SettingResult {
  /** The method row's name, e.g. `DPO beta 0.1`. */
  readonly method: string;
  /** The sweep setting's label, e.g. `lr 0.0001, beta 0.1`. */
  readonly setting: string;
  /** Validation prompts; null when the method has one setting (nothing to choose). */
  readonly validation: ValidationResult | null;
  /** Test prompts, with the test sampling seed no setting is chosen with. */
  readonly test: MethodMeasurement;
  /** The method's own cost at this setting (training, sampling, scoring; evaluation excluded). */
  readonly cost: ComputeCost;
  /** Final training metrics (TRL's names); empty for best-of-N. */
  readonly details: Readonly<Record<string, number>>;
  /** Share of the test labeler gain over SFT that deleting the seed's levers removes (null when there is no gain). */
  readonly leverShare: number | null;
  /** The seed's reward model, when this cell trained or used it. */
  readonly rewardModel: { readonly accuracy: number; readonly cost: ComputeCost } | null;
}

/**
 * Runs one setting of a method on a prepared seed: trains (or builds the selector), measures on
 * validation prompts (when the sweep has more than one setting) and on test prompts, and frees
 * the policy. Every setting is measured on test so that cells stay independent; only the one
 * chosen on validation ({@link chooseSetting}) is reported.
 */
export async function runSettingCell(
  prepared: SeedPreparation,
  method: ExperimentMethod,
  setting: SweepSetting,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<SettingResult> {
  const outcome: MethodOutcome = await method.run(prepared.methodInput(log, signal), setting);
  try {
    const target = outcome.kind === 'policy' ? { policy: outcome.policy } : { selector: outcome.selector };
    let validation: ValidationResult | null = null;
    if (method.sweep.length > 1) {
      const measured = await measureMethod(target, prepared.measure('validation'));
      validation = {
        setting: setting.label,
        labeler: mean(measured.perPrompt.labeler),
        kl: measured.kl,
        realWordRate: measured.guards.realWordRate,
        flags: englishLossFlags(measured.guards, prepared.sftValidation.guards),
      };
    }
    const test = await measureMethod(target, prepared.measure('test'));
    const { baseline } = prepared;
    const share = leverShareOfGain(
      test.samples,
      mean(baseline.sftTest.perPrompt.labeler),
      prepared.labeler,
      baseline.levers.map((lever) => lever.text),
    ).share;
    log(
      `[seed ${baseline.seed}] ${method.name} (${setting.label}): test labeler ${mean(test.perPrompt.labeler).toFixed(3)} vs SFT ${mean(baseline.sftTest.perPrompt.labeler).toFixed(3)}, KL ${test.kl.toFixed(2)}`,
    );
    return {
      method: method.name,
      setting: setting.label,
      validation,
      test,
      cost: outcome.cost,
      details: outcome.kind === 'policy' ? outcome.details : {},
      leverShare: Number.isFinite(share) ? share : null,
      rewardModel: method.uses.includes('reward model') ? prepared.rewardModelInfo() : null,
    };
  } finally {
    if (outcome.kind === 'policy') outcome.policy.dispose();
  }
}

/**
 * A method row of one seed from its settings' results: the best validation labeler reward among
 * settings that keep their English (else the best of all), reported on test. Ties keep the
 * earlier setting.
 * @throws Error naming the method when it has no result.
 */
export function chooseSetting(method: ExperimentMethod, results: readonly SettingResult[]): SeedMethodResult {
  if (results.length === 0) throw new Error(`${method.name}: no setting result to choose from`);
  let best = results[0]!;
  const flagged = (result: SettingResult) => (result.validation?.flags.length ?? 0) > 0;
  const score = (result: SettingResult) => result.validation?.labeler ?? 0;
  for (const result of results.slice(1)) {
    const better =
      (flagged(best) && !flagged(result)) || (flagged(best) === flagged(result) && score(result) > score(best));
    if (better) best = result;
  }
  return {
    name: method.name,
    labelQueries: method.labelQueries,
    chosen: best.setting,
    validation: results.flatMap((result) => (result.validation === null ? [] : [result.validation])),
    test: best.test,
    cost: best.cost,
    sweepCost: addCosts(...results.map((result) => result.cost)),
    details: best.details,
    leverShare: best.leverShare ?? Number.NaN,
  };
}
