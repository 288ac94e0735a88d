import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { formatDuration } from '@dpo-ts/core/training';
import type { BenchmarkContext, BenchmarkResult, ReportImage } from '../harness/benchmark.js';
import type { CellResult } from '../harness/cells.js';
import { decodeGridImages } from '../text-to-image/evaluate-model.js';
import { summarizeMethods, type MethodMeasurement } from './aggregate.js';
import type { DiffusionCell } from './cell-plan.js';
import { comparisonFailures } from './checks.js';
import { comparisonFindings } from './findings.js';
import { methodSpecs } from './methods.js';
import { gainVersusAccuracyPlot, winRatePlot } from './plots.js';
import { COMPARISON_REWARDS } from './rewards.js';
import { GRID_COLUMNS, METHOD_GRID_ROWS, type DiffusionCellResult } from './run-cell.js';
import { writeComparisonGrid, writeMethodGrid, type GridRow } from './sample-grids.js';
import { evaluationSeed, type DiffusionComparisonSettings } from './settings.js';
import { pairsTable, perSeedTable, summaryTable, type PairsRecord } from './tables.js';

/**
 * Turns every cell's result (in plan order) into the report: per reward a summary table, the
 * pairs and per-seed tables, two plots per reward, the first seed's sample grids (one with every
 * method, one per method), the findings and the data; writes the per-step logs into `logs/`.
 * Nothing here depends on where a cell ran except the seconds.
 */
export async function reduceDiffusionComparison(
  cells: readonly CellResult[],
  context: BenchmarkContext,
  settings: DiffusionComparisonSettings,
): Promise<BenchmarkResult> {
  const finished = cells.map(({ cell, result }) => ({
    cell: cell.payload as DiffusionCell,
    result: result as DiffusionCellResult,
  }));
  const first = finished[0];
  if (first === undefined) throw new Error('diffusion-comparison: no cell results to reduce');
  const methods = methodSpecs(settings);
  const seeds = [...new Set(finished.map(({ cell }) => cell.seed))];
  const logDir = path.join(context.outDir, 'logs');
  await mkdir(logDir, { recursive: true });
  const measurements: MethodMeasurement[] = [];
  const pairs: PairsRecord[] = [];
  const images: ReportImage[] = [];
  let leaked = 0;
  for (const { result } of finished) {
    if (result.pairs !== undefined) pairs.push(result.pairs);
    if (result.measurement !== undefined) measurements.push(result.measurement);
    leaked += result.tensorsLeaked;
    for (const [file, text] of Object.entries(result.logs)) await writeFile(path.join(logDir, file), text);
  }
  for (const rewardId of settings.rewards) {
    const reward = COMPARISON_REWARDS[rewardId];
    const gridCells = finished.filter(
      ({ cell, result }) => cell.reward === rewardId && cell.seedIndex === 0 && result.grid !== undefined,
    );
    if (gridCells.length === 0) continue;
    const columns = Math.min(GRID_COLUMNS, settings.evalSamples);
    const rows: GridRow[] = [{ label: 'base', images: decodeGridImages(gridCells[0]!.result.grid!.baseImages) }];
    const methodImages: ReportImage[] = [];
    for (const { cell, result } of gridCells) {
      const method = cell.method!;
      const samples = decodeGridImages(result.grid!.images);
      rows.push({ label: method.label, images: samples });
      methodImages.push(
        await writeMethodGrid(
          context.outDir,
          `samples-${reward.id}-${method.id}.png`,
          `${reward.label}, ${method.label} (seed ${cell.seed}): 4 samples per digit, columns 0-9, same noise as the base's in samples-${reward.id}-all.png`,
          samples,
          Math.min(METHOD_GRID_ROWS, Math.floor(settings.evalSamples / 10)),
        ),
      );
    }
    const title = `${reward.label}, seed ${gridCells[0]!.cell.seed}: ${GRID_COLUMNS / 10} samples per digit (columns 0-9, twice), each column from the same initial noise`;
    images.unshift(await writeComparisonGrid(context.outDir, `samples-${reward.id}-all.png`, title, rows, columns));
    images.push(...methodImages);
  }

  const failures = comparisonFailures(measurements, 0, leaked);
  for (const failure of failures) context.log(`check failed: ${failure}`);
  const summaries = summarizeMethods(measurements);
  const rewards = settings.rewards.map((id) => COMPARISON_REWARDS[id]);
  const { classifier } = first.result;
  const findings = rewards.flatMap((reward) =>
    comparisonFindings({
      rewardLabel: reward.label,
      rewardUnit: reward.unit,
      methods,
      summaries: summaries.filter((s) => s.reward === reward.id),
      classifierAccuracy: classifier.validationAccuracy,
      evalSamples: settings.evalSamples,
    }),
  );
  const cellSeconds = finished.reduce((total, { result }) => total + result.seconds, 0);
  findings.push(
    `Cell time ${formatDuration(cellSeconds)} in all on backend ${first.result.backend} (${context.mode} mode; summed over the ${finished.length} cells, wherever they ran); pair sampling ${pairs.reduce((a, p) => a + p.seconds, 0).toFixed(0)} s in all.`,
  );
  return {
    data: {
      mode: context.mode,
      backend: first.result.backend,
      settings,
      seeds,
      evaluationSeed: evaluationSeed(first.cell.runSeed >>> 0),
      base: { checkpoint: 'packages/diffusion/checkpoints/mnist-mlp', parameters: first.result.parameters },
      classifier: {
        validationAccuracy: classifier.validationAccuracy,
        trainAccuracy: classifier.trainAccuracy,
        epochs: settings.classifierEpochs,
        steps: classifier.steps,
        seconds: classifier.seconds,
        trainedOn: `${classifier.heldOut} held-out MNIST digits (80/20 split)`,
      },
      methods,
      pairs,
      measurements,
      summaries,
      cellSeconds,
    },
    tables: [
      ...rewards.map((reward) =>
        summaryTable(
          reward,
          methods,
          summaries.filter((s) => s.reward === reward.id),
          settings.evalSamples,
        ),
      ),
      pairsTable(pairs),
      perSeedTable(methods, measurements),
    ],
    plots: rewards.flatMap((reward) => [
      winRatePlot(reward, methods, summaries, measurements),
      gainVersusAccuracyPlot(reward, methods, measurements),
    ]),
    images,
    findings,
    failures,
  };
}
