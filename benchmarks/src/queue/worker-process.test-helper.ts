import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** A `dpo-ts worker` child process and its output lines. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly lines: string[];
  /** Resolves with the first line (past, from line `from` on, or future) matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number, from?: number): Promise<RegExpMatchArray>;
  /** SIGTERM (or `signal`), then waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** The Redis URL `npm run test:queue` provides. */
export function testRedisUrl(): string {
  const url = process.env.DPO_TS_TEST_REDIS_URL;
  if (!url)
    throw new Error('DPO_TS_TEST_REDIS_URL is not set: run the *.redis.test.ts files with `npm run test:queue`');
  return url;
}

/**
 * Starts `node dist/cli.js worker --queue url --lock-ms 10000` and waits until it is ready. A 10 s
 * lock: with 4 s, a worker starved on a loaded machine lost the lock of a live job and BullMQ ran
 * it twice; 10 s still lets the SIGKILL test's stalled job be retried within about 20 s.
 */
export async function startWorker(url: string, env: Record<string, string> = {}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [CLI, 'worker', '--queue', url, '--lock-ms', '10000'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (match: RegExpMatchArray) => void }[] = [];
  let buffer = '';
  const onData = (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const waiter of [...waiters]) {
        const match = line.match(waiter.pattern);
        if (match) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(match);
        }
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const worker: WorkerProcess = {
    child,
    lines,
    waitFor(pattern, timeoutMs = 60_000, from = 0) {
      for (const line of lines.slice(from)) {
        const match = line.match(pattern);
        if (match) return Promise.resolve(match);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`worker ${child.pid}: no line matching ${pattern} in ${timeoutMs} ms:\n${lines.join('\n')}`),
            ),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: (match) => {
            clearTimeout(timer);
            resolve(match);
          },
        });
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  await worker.waitFor(/worker ready on/);
  return worker;
}
