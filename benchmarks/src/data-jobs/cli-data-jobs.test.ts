import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { selectBackend } from '@dpo-ts/core/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../cli.js';
import { parseLabeler } from './cli-data-jobs.js';
import { FIXTURE_PROMPTS, type LMFixture, writeLMFixture } from './lm-fixture.test-helper.js';

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

  it("eval-samples and best-of-n write one line per prompt; the best is the top of the same seed's samples; a rerun resumes", async () => {
    const prompts = path.join(fixture.dir, 'prompts.txt');
    await fs.writeFile(prompts, `${FIXTURE_PROMPTS.join('\n')}\n`);
    const run = async (command: string, out: string): Promise<string[]> => {
      const lines: string[] = [];
      const args = ['jobs', command, '--model', fixture.modelDir, '--prompts', prompts, '--labeler', fixture.rewardDir];
      const sampling = ['--samples-per-prompt', '3', '--shard-size', '4', '--batch-size', '6', '--seed', '11'];
      const rest = ['--max-new-tokens', '6', '--backend', 'cpu', '--results', path.join(fixture.dir, 'results')];
      await buildProgram([], (line) => lines.push(line)).parseAsync([...args, ...sampling, ...rest, '--out', out], {
        from: 'user',
      });
      return lines;
    };
    const readLines = async (file: string) =>
      (await fs.readFile(file, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
    const evalFile = path.join(fixture.dir, 'eval.jsonl');
    const evalLines = await run('eval-samples', evalFile);
    expect(evalLines.at(-1)).toMatch(/^eval samples: 36 for 12 prompts, mean reward -?\d/);
    const evaluation = (await readLines(evalFile)) as {
      prompt: string;
      samples: { completion: string; reward: number }[];
    }[];
    expect(evaluation.map((entry) => entry.prompt)).toEqual(FIXTURE_PROMPTS);
    expect(evaluation.every((entry) => entry.samples.length === 3)).toBe(true);

    const bestFile = path.join(fixture.dir, 'best.jsonl');
    expect((await run('best-of-n', bestFile)).at(-1)).toMatch(/^best-of-3: 12 of 12 prompts/);
    const best = (await readLines(bestFile)) as { prompt: string; completion: string; reward: number }[];
    best.forEach((entry, i) => {
      const rewards = evaluation[i]!.samples.map((sample) => sample.reward);
      expect(entry.prompt).toBe(FIXTURE_PROMPTS[i]);
      expect(entry.reward).toBe(Math.max(...rewards));
      expect(entry.completion).toBe(evaluation[i]!.samples[rewards.indexOf(entry.reward)]!.completion);
    });

    const again = await run('eval-samples', path.join(fixture.dir, 'eval-again.jsonl'));
    expect(again.some((line) => line.includes('3/3 jobs (3 cached, 0 failed)'))).toBe(true);
    expect(await readLines(path.join(fixture.dir, 'eval-again.jsonl'))).toEqual(evaluation);
  });
});
