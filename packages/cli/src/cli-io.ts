/** A stream the CLI writes to (`process.stdout`, or a test's buffer). */
export interface CliWritable {
  /** Writes `text` as it is (lines end with their own newline). */
  write(text: string): unknown;
  /** Whether a terminal is attached (progress lines then show a bar). */
  readonly isTTY?: boolean;
}

/** Where `main` reads and writes: streams, the working directory, and an abort signal (Ctrl-C). */
export interface CliIO {
  /** Results: completions, the saved model's path. */
  readonly stdout: CliWritable;
  /** Progress lines, warnings and errors. */
  readonly stderr: CliWritable;
  /** Folder relative `--out`, `--model` and `--config` paths start from. @defaultValue process.cwd() */
  readonly cwd?: string;
  /** Stops training after the step in progress; the run saves a checkpoint and can `--resume`. */
  readonly signal?: AbortSignal;
}
