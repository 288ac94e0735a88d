import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/*
 * Issue 11's kill -9 test: a child process trains a tiny model with checkpoints (every 2
 * steps, keep 2) and is killed with SIGKILL mid-training and at every point of a save, then
 * resumed by a fresh process; the final weights must be bit-identical to an uninterrupted
 * run's, and the directory must hold only complete checkpoints. The child is
 * test/fixtures/train-child.mjs, which runs core's built dist (turbo builds before testing).
 */

const CHILD = fileURLToPath(new URL('../../test/fixtures/train-child.mjs', import.meta.url));
const scratch = mkdtempSync(path.join(tmpdir(), 'dpo-ts-kill-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface ChildResult {
  readonly signal: NodeJS.Signals | null;
  readonly code: number | null;
  readonly weights: number[] | undefined;
  readonly stderr: string;
}

/** Runs the child; `killAfterLine` makes the parent SIGKILL it when that stdout line appears. */
function runChild(dir: string, mode: string, killAfterLine?: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, mode], {
      cwd: path.dirname(CHILD),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (killAfterLine !== undefined && stdout.split('\n').includes(killAfterLine)) child.kill('SIGKILL');
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const line = stdout.split('\n').find((l) => l.startsWith('WEIGHTS '));
      resolve({
        code,
        signal,
        stderr,
        weights: line === undefined ? undefined : (JSON.parse(line.slice('WEIGHTS '.length)) as number[]),
      });
    });
  });
}

/** Each scenario: the kills, in order, then a resume that must finish. */
const SCENARIOS: Record<string, string[]> = {
  'mid-training (step 5 of 12)': ['step:5'],
  'mid-training, twice': ['step:3', 'step:9'],
  'after tensors.bin of the 2nd save': ['save:2:tensors-written'],
  'after the manifest of the 2nd save': ['save:2:directory-written'],
  'after the rename of the 2nd save': ['save:2:moved-into-place'],
  // latest still names step 2, so the resumed run rewrites step 4 and is killed between its two renames.
  'before `latest` changes, then between the renames of a same-step replacement': [
    'save:2:latest-temporary-written',
    'save:1:moved-aside',
  ],
  'after `latest` changed': ['save:2:latest-written'],
  'while pruning an old checkpoint (3rd save)': ['save:3:pruning'],
};

describe('kill -9 and resume', () => {
  it('ends bit-identical to an uninterrupted run, whenever the process is killed', async () => {
    const reference = await runChild(path.join(scratch, 'reference'), 'none');
    expect(reference.code, reference.stderr).toBe(0);
    expect(reference.weights).toHaveLength(3);

    const outcomes = await Promise.all(
      Object.entries(SCENARIOS).map(async ([name, kills]) => {
        const dir = path.join(scratch, name.replace(/[^a-z0-9]+/gi, '-'));
        for (const kill of kills) {
          const killed = await runChild(dir, kill);
          expect(killed.signal, `${name}: ${kill}: ${killed.stderr}`).toBe('SIGKILL');
        }
        const resumed = await runChild(dir, 'none');
        expect(resumed.code, `${name}: ${resumed.stderr}`).toBe(0);
        return { name, weights: resumed.weights, files: (await fs.readdir(dir)).sort() };
      }),
    );
    // And one killed by the parent at whatever instruction it is executing after step 7.
    const parentDir = path.join(scratch, 'parent-kill');
    const parentKilled = await runChild(parentDir, 'none', 'step 7');
    const parentResumed = await runChild(parentDir, 'none');
    outcomes.push({
      name: `killed by the parent (${parentKilled.signal ?? 'finished first'})`,
      weights: parentResumed.weights,
      files: (await fs.readdir(parentDir)).sort(),
    });

    for (const outcome of outcomes) {
      expect(outcome.weights, outcome.name).toEqual(reference.weights);
      expect(outcome.files, outcome.name).toEqual(['latest', 'step-000010', 'step-000012']); // no leftovers, no lock
    }
    expect(outcomes).toHaveLength(9);
  });
});
