import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchmarkRecord } from '../harness/records.js';
import { runSuite } from '../harness/runner.js';
import { lossVariantsBenchmark } from '../loss-variants/index.js';

/** The suite the Redis tests run on a fleet: the loss-variants quick cells (12) on the cpu backend. */
export const LOSS_VARIANTS_SUITE = {
  benchmarks: [lossVariantsBenchmark],
  mode: 'quick',
  backend: 'cpu',
  seed: 0,
} as const;

/** The loss-variants record a run wrote into `dir`. */
export const readLossVariantsRecord = (dir: string): BenchmarkRecord =>
  JSON.parse(readFileSync(join(dir, 'loss-variants', 'result.json'), 'utf8')) as BenchmarkRecord;

let inProcess: Promise<BenchmarkRecord> | undefined;

/**
 * The record of {@link LOSS_VARIANTS_SUITE} run in this process, computed once per process:
 * `npm run test:queue` runs the Redis test files in one process (`--no-isolate`), so they share
 * it instead of each training the same 12 cells again. Each file still gets a correct record
 * when run alone.
 */
export function inProcessLossVariants(): Promise<BenchmarkRecord> {
  inProcess ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpo-ts-in-process-'));
    try {
      await runSuite({ ...LOSS_VARIANTS_SUITE, outDir: dir, log: () => {} });
      return readLossVariantsRecord(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  })();
  inProcess.catch(() => {
    inProcess = undefined;
  });
  return inProcess;
}
