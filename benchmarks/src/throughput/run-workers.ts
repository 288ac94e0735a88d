import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendName } from '@dpo-ts/core/backend';
import type { BenchmarkMode } from '../harness/benchmark.js';
import type { WorkerOutput } from './worker.js';

/** The compiled worker beside this module (`dist/throughput/worker.js`). */
export const WORKER_SCRIPT = fileURLToPath(new URL('./worker.js', import.meta.url));

/** Longest a single worker may run before it is killed and reported as failed, per mode. */
const WORKER_TIMEOUT_MINUTES: Record<BenchmarkMode, number> = { smoke: 5, quick: 15, full: 60 };

/**
 * Runs one measurement in a child Node process (`worker.js`) and returns what it wrote. Its
 * stderr lines go to `log`. A worker that crashes, times out or writes nothing is reported as
 * `failed` with the tail of its stderr; nothing is thrown.
 */
export async function runWorker(options: {
  readonly backend: BackendName;
  readonly mode: BenchmarkMode;
  readonly step: number;
  readonly stepName: string;
  /** Worker threads of a 1-vs-N-workers measurement (`worker.js --workers`); undefined: the per-backend table. */
  readonly workers?: number;
  readonly dir: string;
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal;
}): Promise<WorkerOutput> {
  const { backend, mode, step, stepName, dir, log } = options;
  mkdirSync(dir, { recursive: true });
  const tag = options.workers === undefined ? '' : `-workers-${options.workers}`;
  const out = join(dir, `${backend}-${step}-${stepName}${tag}.json`);
  const args = [WORKER_SCRIPT, '--backend', backend, '--mode', mode, '--step', String(step), '--out', out];
  if (options.workers !== undefined) args.push('--workers', String(options.workers));
  const stderrTail: string[] = [];
  const code = await new Promise<number | string>((resolve) => {
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, DPO_TS_BACKEND: backend },
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), WORKER_TIMEOUT_MINUTES[mode] * 60_000);
    const abort = () => child.kill('SIGTERM');
    options.signal?.addEventListener('abort', abort, { once: true });
    let pending = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        stderrTail.push(line);
        if (stderrTail.length > 20) stderrTail.shift();
        log(`${backend}: ${line}`);
      }
    });
    child.on('error', (error) => resolve(error.message));
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', abort);
      resolve(exitCode ?? String(signal));
    });
  });
  if (existsSync(out)) {
    try {
      return JSON.parse(readFileSync(out, 'utf8')) as WorkerOutput;
    } catch {
      // fall through: report the crash below
    }
  }
  const why = code === 'SIGKILL' ? `killed after ${WORKER_TIMEOUT_MINUTES[mode]} min` : `exited with ${code}`;
  return {
    kind: 'failed',
    backend,
    step: stepName,
    error: `worker ${why}: ${stderrTail.slice(-5).join(' | ') || 'no output'}`,
  };
}
