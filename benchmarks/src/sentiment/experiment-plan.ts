import type { BenchmarkCell, CellContext, CellResult } from '../harness/cells.js';
import { type SentimentExperimentConfig, SENTIMENT_EXPERIMENT_CONFIGS } from './experiment-config.js';
import {
  baseModelFingerprint,
  defaultBaseModelDir,
  type SentimentCell,
  type SentimentCellResult,
} from './experiment-cells.js';
import { type ExperimentMethod, experimentMethods } from './method-registry.js';
import { chooseSetting, type SettingResult } from './setting-cell.js';

/**
 * The seeds of a run. The sweep runs on the first seed the run offers (the selection seed):
 * every setting of every method, chosen on its validation prompts. The chosen settings then run
 * on `config.seeds` fresh seeds after it (the test seeds), whose test prompts give every
 * reported number, so no reported number comes from the seed a setting was chosen on.
 */
export interface SentimentSeeds {
  readonly selection: number;
  readonly test: readonly number[];
}

/** {@link SentimentSeeds} of a run: selection `seeds[0]`, test `seeds[0] + 1 ... seeds[0] + config.seeds`. */
export function sentimentSeeds(
  context: Pick<CellContext, 'seeds'>,
  config: Pick<SentimentExperimentConfig, 'seeds'>,
): SentimentSeeds {
  const selection = context.seeds[0] ?? 0;
  return { selection, test: Array.from({ length: config.seeds }, (_, i) => selection + 1 + i) };
}

/** Rough seconds on 2 loaded cores, for the ETA only. */
function estimateSeconds(config: SentimentExperimentConfig, method: string | null): number {
  const evaluation =
    (config.data.testPrompts + config.data.validationPrompts) * config.data.evalSamplesPerPrompt * 0.05;
  if (method === null)
    return config.sft.steps * config.sft.batchSize * 0.05 + config.data.trainPrompts * 0.2 + evaluation;
  return config.methods.preference.steps * config.methods.preference.batchSize * 0.1 + evaluation;
}

interface PlanOptions {
  readonly config?: SentimentExperimentConfig;
  readonly baseDir?: string;
}

function planned(context: Pick<CellContext, 'mode'>, options: PlanOptions) {
  const config = options.config ?? SENTIMENT_EXPERIMENT_CONFIGS[context.mode];
  const dir = options.baseDir ?? null;
  return { config, base: { dir, sha256: baseModelFingerprint(dir ?? defaultBaseModelDir()) } };
}

/** A seed's cells: its preparation, then the given (method, setting labels), in order. */
function seedCells(
  seed: number,
  rows: readonly { readonly method: ExperimentMethod; readonly settings: readonly string[] }[],
  { config, base }: ReturnType<typeof planned>,
): BenchmarkCell[] {
  return [
    {
      id: `seed=${seed}/prepare`,
      payload: { seed, method: null, setting: null, config, base } satisfies SentimentCell,
      estimateSeconds: estimateSeconds(config, null),
    },
    ...rows.flatMap(({ method, settings }) =>
      settings.map((setting) => ({
        id: `seed=${seed}/${method.name}/${setting}`,
        payload: { seed, method: method.name, setting, config, base } satisfies SentimentCell,
        estimateSeconds: estimateSeconds(config, method.name),
      })),
    ),
  ];
}

/**
 * The first stage of a run: the selection seed's preparation, then every (method, setting) of
 * the sweep on it. A cell's id and payload do not depend on its stage, so a cell of this plan
 * and the same cell of a later stage share one job key.
 */
export function planSentimentCells(
  context: Pick<CellContext, 'mode' | 'seeds'>,
  options: PlanOptions = {},
): BenchmarkCell[] {
  const plan = planned(context, options);
  const rows = experimentMethods(plan.config).map((method) => ({
    method,
    settings: method.sweep.map((setting) => setting.label),
  }));
  return seedCells(sentimentSeeds(context, plan.config).selection, rows, plan);
}

/**
 * Per method, the setting the selection seed chose ({@link chooseSetting}: the best validation
 * labeler reward among settings that keep their English).
 * @throws Error naming a method without results on the selection seed.
 */
export function chosenSettings(
  config: SentimentExperimentConfig,
  selectionSeed: number,
  done: readonly CellResult[],
): Map<string, string> {
  const settings = done.flatMap((cell) => {
    const payload = cell.cell.payload as SentimentCell;
    const result = cell.result as SentimentCellResult;
    return payload.seed === selectionSeed && result.kind === 'setting' ? [result.result] : [];
  });
  return new Map(
    experimentMethods(config).map((method) => [
      method.name,
      chooseSetting(
        method,
        settings.filter((s: SettingResult) => s.method === method.name),
      ).chosen,
    ]),
  );
}

/**
 * The second stage: on each test seed its preparation, then every method at the setting the
 * selection seed chose. Nothing once a test seed has results (the plan is complete).
 */
export function planSentimentTestCells(
  context: Pick<CellContext, 'mode' | 'seeds'>,
  done: readonly CellResult[],
  options: PlanOptions = {},
): BenchmarkCell[] {
  const plan = planned(context, options);
  const seeds = sentimentSeeds(context, plan.config);
  if (done.some((cell) => seeds.test.includes((cell.cell.payload as SentimentCell).seed))) return [];
  const chosen = chosenSettings(plan.config, seeds.selection, done);
  const rows = experimentMethods(plan.config).map((method) => ({ method, settings: [chosen.get(method.name)!] }));
  return seeds.test.flatMap((seed) => seedCells(seed, rows, plan));
}
