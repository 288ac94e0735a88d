import type { CliIO } from './cli-io.js';
import { main } from './main.js';

/** What {@link runCli} captured: the exit code and everything written to stdout and stderr. */
export interface CliRun {
  /** `main`'s exit code. */
  readonly code: number;
  /** Everything written to stdout. */
  readonly stdout: string;
  /** Everything written to stderr. */
  readonly stderr: string;
}

/** Runs `dpo-ts ...argv` in `cwd` with captured output. */
export async function runCli(argv: string[], cwd: string): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    cwd,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
