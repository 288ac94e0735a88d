#!/usr/bin/env node
// Runs a command with a throwaway Debian `redis-server` on a free loopback port:
//   node scripts/with-redis.mjs <command> [args...]
// The server keeps its files in a temporary folder (no RDB snapshots, no AOF) and is stopped,
// and the folder removed, when the command exits. The command sees the server's URL in
// DPO_TS_TEST_REDIS_URL. Used by `npm run test:queue` (the *.redis.test.ts files).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const which = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
if (which.error) {
  console.error(
    "with-redis: redis-server is not installed; install Debian's package (apt-get install -y redis-server) and run again",
  );
  process.exit(2);
}

const port = await new Promise((resolve, reject) => {
  const server = createServer();
  server.once('error', reject);
  server.listen(0, '127.0.0.1', () => {
    const { port: free } = server.address();
    server.close(() => resolve(free));
  });
});
const dir = mkdtempSync(join(tmpdir(), 'dpo-ts-redis-'));
const redis = spawn(
  'redis-server',
  ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
await new Promise((resolve, reject) => {
  let output = '';
  const timer = setTimeout(() => reject(new Error(`with-redis: redis-server did not start:\n${output}`)), 15_000);
  redis.stdout.on('data', (chunk) => {
    output += chunk;
    if (output.includes('Ready to accept connections')) {
      clearTimeout(timer);
      resolve();
    }
  });
  redis.once('exit', (code) => reject(new Error(`with-redis: redis-server exited with ${code}:\n${output}`)));
});
redis.stdout.resume();
const url = `redis://127.0.0.1:${port}`;
console.log(`with-redis: redis-server ${which.stdout.trim().split(' ')[2] ?? ''} at ${url}`);
const [command, ...args] = process.argv.slice(2);
const child = spawn(command, args, { stdio: 'inherit', env: { ...process.env, DPO_TS_TEST_REDIS_URL: url } });
const code = await new Promise((resolve) => child.once('exit', (exit, signal) => resolve(exit ?? (signal ? 1 : 0))));
redis.kill('SIGTERM');
await new Promise((resolve) => redis.once('exit', resolve));
rmSync(dir, { recursive: true, force: true });
process.exit(code);
