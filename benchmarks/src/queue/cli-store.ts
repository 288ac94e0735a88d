import type { BackendRequest } from '@dpo-ts/core/backend';
import { FileResultStore } from '@dpo-ts/queue';
import type { Benchmark } from '../harness/benchmark.js';
import type { CellRunner } from '../harness/cells.js';
import { benchmarkCodeVersion } from './code-version.js';
import { queueCellRunner } from './queue-cell-runner.js';
import { workerKinds } from './worker-kinds.js';

/**
 * The cell runner of `dpo-ts bench --store <dir>` (no Redis): the cells run here, one after
 * another, and each result is kept in `dir` under the hash of its inputs (benchmark, cell payload,
 * mode, seeds, backend, code version), so a rerun into the same folder, from any process or
 * session, computes only the cells still missing.
 */
export function storeCellRunner(options: {
  readonly dir: string;
  readonly backend: BackendRequest;
  readonly benchmarks: readonly Benchmark[];
  readonly log: (line: string) => void;
}): CellRunner {
  const codeVersion = benchmarkCodeVersion();
  options.log(`dpo-ts bench: cell results kept in ${options.dir} (code version ${codeVersion})`);
  return queueCellRunner({
    url: undefined,
    kinds: workerKinds(options.benchmarks),
    codeVersion,
    store: new FileResultStore(options.dir),
    backend: options.backend,
  });
}
