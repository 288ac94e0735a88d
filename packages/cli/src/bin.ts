#!/usr/bin/env node
// The `dpo-ts` executable: `main` on the process's arguments and streams; Ctrl-C stops training
// after the step in progress (a checkpoint is saved; continue with --resume), a second one exits.
import { main } from './main.js';

const controller = new AbortController();
process.once('SIGINT', () => {
  process.stderr.write('\ndpo-ts: stopping after this step (Ctrl-C again to quit now)\n');
  controller.abort();
  process.once('SIGINT', () => process.exit(130));
});
process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal,
});
