import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { promises as fs } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DPOTSError } from '../errors/dpo-ts-error.js';
import { acquireCheckpointLock } from './checkpoint-lock.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'dpo-ts-lock-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A lock record as another process would have written it. */
const record = (pid: number, host = hostname()) =>
  JSON.stringify({ pid, host, startedAt: '2026-01-01T00:00:00.000Z', token: 'feedfacecafebeef' });

describe('checkpoint directory lock', () => {
  it('holds the directory for one writer and releases it', async () => {
    const dir = path.join(scratch, 'one');
    const lock = await acquireCheckpointLock(dir);
    expect(lock.file).toBe(path.join(dir, 'writer.lock'));
    expect(JSON.parse(await fs.readFile(lock.file, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    const second = acquireCheckpointLock(dir); // a second loop in this very process
    await expect(second).rejects.toThrow(DPOTSError);
    await expect(acquireCheckpointLock(dir)).rejects.toThrow(
      `checkpoint directory ${dir} is in use by another training run: ${lock.file} is held by pid ${process.pid} on host ${hostname()}`,
    );
    await lock.release();
    await lock.release(); // idempotent
    expect(await fs.readdir(dir)).toEqual([]);
    const again = await acquireCheckpointLock(dir);
    expect(again.warnings).toEqual([]);
    await again.release();
  });

  it('refuses a live process of this host and another host, and takes over the lock of a dead process', async () => {
    const dir = path.join(scratch, 'two');
    await fs.mkdir(dir);
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await once(child, 'spawn');
    const file = path.join(dir, 'writer.lock');
    await fs.writeFile(file, record(child.pid!));
    await expect(acquireCheckpointLock(dir)).rejects.toThrow(
      `is held by pid ${child.pid} on host ${hostname()} since 2026-01-01T00:00:00.000Z`,
    );
    child.kill('SIGKILL');
    await once(child, 'exit');
    const lock = await acquireCheckpointLock(dir);
    expect(lock.warnings).toEqual([
      `took over the stale lock ${file} of pid ${child.pid} on host ${hostname()} (since 2026-01-01T00:00:00.000Z), which no longer runs`,
    ]);
    await lock.release();

    await fs.writeFile(file, record(child.pid!, 'another-host.example'));
    await expect(acquireCheckpointLock(dir)).rejects.toThrow(`held by pid ${child.pid} on host another-host.example`);
    // The same pid as ours, but not this process's token: a restarted container reusing pids.
    await fs.writeFile(file, record(process.pid));
    const taken = await acquireCheckpointLock(dir);
    expect(taken.warnings).toHaveLength(1);
    await taken.release();

    await fs.writeFile(file, '{"pid": ');
    await expect(acquireCheckpointLock(dir)).rejects.toThrow(
      `${file} is not a valid lock record ("{\\"pid\\": "); if no training run writes to this directory, delete it`,
    );
    expect((await fs.readdir(dir)).sort()).toEqual(['writer.lock']); // no temporary left behind
    await expect(acquireCheckpointLock('')).rejects.toThrow('dir must be a non-empty path: got ""');
    await fs.writeFile(path.join(scratch, 'a-file'), '');
    await expect(acquireCheckpointLock(path.join(scratch, 'a-file'))).rejects.toThrow(
      `checkpoint directory ${path.join(scratch, 'a-file')} must be a directory: a file is in the way`,
    );
  });
});
