import type { MethodMeasurement } from './aggregate.js';

/**
 * Checks on a finished run, reported as the result's `failures` (the runner keeps the numbers
 * and marks the benchmark failed): every measured number finite and every rate in [0, 1], and
 * no tensor left behind by the whole run (`tensorsBefore` and `tensorsAfter` from
 * `tf.memory().numTensors` before loading the base model and after disposing everything).
 */
export function comparisonFailures(
  measurements: readonly MethodMeasurement[],
  tensorsBefore: number,
  tensorsAfter: number,
): string[] {
  const failures: string[] = [];
  if (tensorsAfter !== tensorsBefore)
    failures.push(
      `tensor leak: ${tensorsAfter - tensorsBefore} tensors left after the run (${tensorsBefore} before, ${tensorsAfter} after)`,
    );
  for (const m of measurements) {
    const where = `${m.reward} seed ${m.seed} ${m.method}`;
    for (const [name, value] of Object.entries({ meanReward: m.meanReward, baseMeanReward: m.baseMeanReward })) {
      if (!Number.isFinite(value)) failures.push(`${where}: ${name} is ${value}`);
    }
    for (const [name, value] of Object.entries({
      winRate: m.winRate,
      digitAccuracy: m.digitAccuracy,
      baseDigitAccuracy: m.baseDigitAccuracy,
    })) {
      if (!(value >= 0 && value <= 1)) failures.push(`${where}: ${name} must be in [0, 1]: got ${value}`);
    }
  }
  return failures;
}
