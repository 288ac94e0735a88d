import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@dpo-ts/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobKey } from './job-key.js';
import { type JobKind, JobKindRegistry } from './job-kind.js';
import type { JobProgress } from './job-progress.js';
import { FileResultStore } from './result-store.js';
import { runJobs } from './run-jobs.js';

function squareKind(calls: number[]): JobKind<{ x: number }, { square: number }> {
  return {
    name: 'square',
    validate(payload) {
      const x = (payload as { x?: unknown } | null)?.x;
      if (typeof x !== 'number') throw new InvalidArgumentError('payload.x', 'a number', x);
      return { x };
    },
    async run({ x }) {
      calls.push(x);
      if (x < 0) throw new Error(`negative input ${x}`);
      return { square: x * x };
    },
  };
}

describe('runJobs in-process', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dpo-ts-jobs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('returns results in order, runs identical jobs once and reports progress to the end', async () => {
    const calls: number[] = [];
    const progress: JobProgress[] = [];
    const outcomes = await runJobs({
      jobs: [3, 1, 3, 2].map((x) => ({ kind: 'square', payload: { x } })),
      kinds: new JobKindRegistry([squareKind(calls)]),
      codeVersion: 'v1',
      onProgress: (p) => progress.push(p),
    });
    expect(outcomes.map((o) => (o.status === 'done' ? o.result : o.error))).toEqual([
      { square: 9 },
      { square: 1 },
      { square: 9 },
      { square: 4 },
    ]);
    expect(calls).toEqual([3, 1, 2]);
    expect(outcomes[0]!.key).toBe(jobKey({ kind: 'square', payload: { x: 3 }, codeVersion: 'v1' }));
    expect(progress.at(-1)).toMatchObject({ total: 4, done: 4, failed: 0, etaSeconds: 0 });
  });

  it('resumes from the result store, and recomputes under another code version', async () => {
    const store = new FileResultStore(join(dir, 'results'));
    const first: number[] = [];
    const jobs = [1, 2, 3].map((x) => ({ kind: 'square', payload: { x } }));
    await runJobs({
      jobs: jobs.slice(0, 2),
      kinds: new JobKindRegistry([squareKind(first)]),
      codeVersion: 'v1',
      store,
    });
    const second: number[] = [];
    const outcomes = await runJobs({
      jobs,
      kinds: new JobKindRegistry([squareKind(second)]),
      codeVersion: 'v1',
      store,
    });
    expect(second).toEqual([3]);
    expect(outcomes.map((o) => o.status === 'done' && o.cached)).toEqual([true, true, false]);
    expect(outcomes.map((o) => o.status === 'done' && o.result)).toEqual([{ square: 1 }, { square: 4 }, { square: 9 }]);
    const third: number[] = [];
    await runJobs({ jobs, kinds: new JobKindRegistry([squareKind(third)]), codeVersion: 'v2', store });
    expect(third).toEqual([1, 2, 3]);
  });

  it('records a job that throws as failed and goes on', async () => {
    const calls: number[] = [];
    const outcomes = await runJobs({
      jobs: [-1, 2].map((x) => ({ kind: 'square', payload: { x } })),
      kinds: new JobKindRegistry([squareKind(calls)]),
      codeVersion: 'v1',
    });
    expect(outcomes[0]).toMatchObject({ status: 'failed', error: 'negative input -1' });
    expect(outcomes[1]).toMatchObject({ status: 'done', result: { square: 4 } });
  });

  it('refuses a bad payload or an unknown kind before running anything', async () => {
    const calls: number[] = [];
    const kinds = new JobKindRegistry([squareKind(calls)]);
    await expect(
      runJobs({
        jobs: [
          { kind: 'square', payload: { x: 1 } },
          { kind: 'square', payload: { y: 1 } },
        ],
        kinds,
        codeVersion: 'v1',
      }),
    ).rejects.toThrow(
      'jobs[1] must be a job of a registered kind with a valid payload: got "square" (payload of job kind square',
    );
    await expect(runJobs({ jobs: [{ kind: 'cube', payload: {} }], kinds, codeVersion: 'v1' })).rejects.toThrow(
      'one of the registered job kinds (square): got "cube"',
    );
    expect(calls).toEqual([]);
  });
});
