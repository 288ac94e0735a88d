import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { selectBackend } from '@dpo-ts/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../cli.js';
import { parseLabeler } from './cli-data-jobs.js';
import { type LMFixture, writeLMFixture } from './lm-fixture.test-helper.js';

let fixture: LMFixture;

describe('dpo-ts jobs', () => {
  beforeAll(async () => {
    await selectBackend({ backend: 'cpu', quiet: true });
    fixture = await writeLMFixture();
  });
  afterAll(() => fs.rm(fixture.dir, { recursive: true, force: true }));

  it('reads labelers: the lexicons by name, anything else as a reward model directory', () => {
    expect(parseLabeler('vader')).toEqual({ kind: 'vader' });
    expect(parseLabeler('runs/reward')).toEqual({ kind: 'reward-model', dir: 'runs/reward' });
  });

  it('reference-scores fills the cache in-process, then resumes with nothing to do', async () => {
    const cache = path.join(fixture.dir, 'cache.json');
    const args = ['jobs', 'reference-scores', '--model', fixture.modelDir, '--train', fixture.trainFile];
    const rest = ['--cache', cache, '--shard-size', '5', '--backend', 'cpu'];
    const results = ['--results', path.join(fixture.dir, 'results')];
    const lines: string[] = [];
    await buildProgram([], (line) => lines.push(line)).parseAsync([...args, ...rest, ...results], { from: 'user' });
    expect(lines.at(-1)).toMatch(/^reference scores: 12 pairs computed in 3 shards, 0 reused \(cache new\)/);
    expect(Object.keys(JSON.parse(await fs.readFile(cache, 'utf8')).entries)).toHaveLength(12);
    await buildProgram([], (line) => lines.push(line)).parseAsync([...args, ...rest, ...results], { from: 'user' });
    expect(lines.at(-1)).toMatch(/^reference scores: 0 pairs computed in 0 shards, 12 reused \(cache loaded\)/);
  });
});
