import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSavedModelManifest } from '@dpo-ts/core/io';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { runCli as run } from './run-cli.test-helper.js';

const EXAMPLES = fileURLToPath(new URL('../../../docs/examples/', import.meta.url));
const TINY_GPT = 'model={"from":"new","gpt":{"contextLength":64,"dModel":16,"nLayer":1,"nHead":2}}';

describe('dpo-ts train / sample', () => {
  it('trains DPO on the example JSONL, saves the model, samples from it, and resumes only with --resume', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'dpo-ts-cli-'));
    const train = [
      'train',
      'dpo',
      '--config',
      join(EXAMPLES, 'lm-dpo.json'),
      '--set',
      TINY_GPT,
      '--set',
      'training.totalSteps=2',
      '--set',
      'training.perDeviceTrainBatchSize=4',
      '--set',
      'training.saveSteps=1',
      '--out',
      'run',
      '--backend',
      'cpu',
    ];
    // Every tensor the run made (model, reference copy, optimiser state) is freed at the end.
    const trained = await expectNoLeak(() => run(train, cwd));
    expect(trained.stderr).toContain('dpo-ts train dpo: 40 pairs from');
    expect(trained.code).toBe(0);
    expect(trained.stdout).toMatch(/^trained dpo for 2 steps \(last step: loss \d\.\d{4}, rewards\/accuracies/);
    expect(trained.stdout).toContain('saved the model to run/model');
    expect(await readdir(join(cwd, 'run', 'checkpoints'))).toEqual(
      expect.arrayContaining(['step-000001', 'step-000002']),
    );
    const manifest = await readSavedModelManifest(join(cwd, 'run', 'model'));
    expect(manifest).toMatchObject({ kind: 'dpo', modality: 'lm', step: 2 });
    expect((manifest.trainerConfig as { perDeviceTrainBatchSize: number }).perDeviceTrainBatchSize).toBe(4);

    const sampleArgs = ['sample', '--model', 'run/model', '--prompt', 'The food', '--prompt', 'My friend', '--n', '2'];
    const sampled = await expectNoLeak(() =>
      run([...sampleArgs, '--max-new-tokens', '8', '--seed', '3', '--backend', 'cpu'], cwd),
    );
    expect(sampled.code).toBe(0);
    const lines = sampled.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines.map((line) => line.split(' → ')[0])).toEqual(['The food', 'The food', 'My friend', 'My friend']);
    // The same seed gives the same completions.
    const again = await run([...sampleArgs, '--max-new-tokens', '8', '--seed', '3', '--backend', 'cpu'], cwd);
    expect(again.stdout).toBe(sampled.stdout);
    await writeFile(join(cwd, 'prompts.jsonl'), '{"prompt": "The food"}\n{"prompt": "A walk"}\n');
    const fromFile = await run(
      ['sample', '--model', 'run/model', '--prompts', 'prompts.jsonl', '--backend', 'cpu'],
      cwd,
    );
    expect(
      fromFile.stdout
        .trimEnd()
        .split('\n')
        .map((line) => line.split(' → ')[0]),
    ).toEqual(['The food', 'A walk']);

    const refused = await run(train, cwd);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'dpo-ts: --out must be a run folder without checkpoints (or pass --resume to continue that run): got "run"',
    );
    const resumed = await run([...train, '--resume', '--set', 'training.totalSteps=3'], cwd);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('trained dpo for 3 steps, resumed at step 2');
    expect((await readSavedModelManifest(join(cwd, 'run', 'model'))).step).toBe(3);
  });

  it('trains Diffusion-DPO on the example Pick-a-Pic JSONL and writes a PNG grid', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'dpo-ts-cli-'));
    const trained = await expectNoLeak(() =>
      run(
        [
          'train',
          'diffusion-dpo',
          '--config',
          join(EXAMPLES, 'diffusion-dpo.json'),
          '--set',
          'training.totalSteps=2',
          '--set',
          'training.perDeviceTrainBatchSize=2',
          '--out',
          'run',
          '--backend',
          'cpu',
        ],
        cwd,
      ),
    );
    expect(trained.stderr).toContain('16 image pairs (28x28x1)');
    expect(trained.code).toBe(0);
    expect(trained.stdout).toContain('saved the model to run/model');
    const sampled = await run(
      [
        'sample',
        '--model',
        'run/model',
        '--label',
        '3,7',
        '--n',
        '2',
        '--steps',
        '2',
        '--out',
        'g.png',
        '--backend',
        'cpu',
      ],
      cwd,
    );
    expect(sampled.code).toBe(0);
    expect(sampled.stdout).toBe('wrote g.png: 4 samples (28x28), one row per label (3, 7), 2 per row\n');
    const png = await readFile(join(cwd, 'g.png'));
    expect([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join('')).toBe('PNG');
    // 2 columns of 28 pixels shown at scale 2, with 3 paddings of 2 pixels: width 2 * 56 + 3 * 2.
    expect(png.readUInt32BE(16)).toBe(2 * 56 + 3 * 2);
    const refused = await run(['sample', '--model', 'run/model', '--caption', 'a cat', '--backend', 'cpu'], cwd);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--caption must be absent for a class-conditional denoiser (use --label)');
  });

  it('names bad training fields with the closest known name, and refuses bad commands clearly', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'dpo-ts-cli-'));
    const config = ['--config', join(EXAMPLES, 'lm-dpo.json'), '--set', TINY_GPT, '--backend', 'cpu'];
    const typo = await expectNoLeak(() => run(['train', 'dpo', ...config, '--set', 'training.lerningRate=1e-5'], cwd));
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(
      /dpo-ts: training\.lerningRate must be absent \(known fields: .*\): got 0\.00001 \(did you mean "learningRate"\?\)/,
    );
    const negative = await run(['train', 'dpo', ...config, '--set', 'training.beta=-1'], cwd);
    expect(negative.stderr).toContain('dpo-ts: training.beta must be');
    expect(negative.stderr).toContain('got -1');
    const gpt = await run(['train', 'dpo', ...config, '--set', 'model.gpt.nHead=3'], cwd);
    expect(gpt.code).toBe(1);
    expect(gpt.stderr).toContain('dpo-ts: model.gpt.');
    expect(gpt.stderr).toMatch(/model\.gpt\.dModel must be divisible by .*nHead/);
    const sftOnPairs = await run(['train', 'sft', ...config], cwd);
    expect(sftOnPairs.stderr).toContain('lm-dpo.jsonl');
    expect(sftOnPairs.stderr).toContain(
      'an SFT record must be {"text": string} or {"prompt": string, "completion": string}',
    );
    const field = await run(['train', 'dpo', ...config, '--set', 'data.trian=x.jsonl'], cwd);
    expect(field.stderr).toContain(
      'data.trian must be absent (not a field of data; known: train, eval): got "x.jsonl" (did you mean "train"?)',
    );
    const unknown = await run(['train', 'dop', ...config], cwd);
    expect(unknown.stderr).toContain(
      '<trainer> must be one of sft, dpo, reward, ppo, rloo, grpo, online-dpo, diffusion-sft, diffusion-dpo, ddpo: got "dop"',
    );
    const missing = await run(['train', 'dpo'], cwd);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--config <file>' not specified");
    const set = await run(['train', 'dpo', ...config, '--set', 'training.beta'], cwd);
    expect(set.stderr).toContain('--set must be key=value');
    const notSaved = await run(['sample', '--model', '.', '--prompt', 'x', '--backend', 'cpu'], cwd);
    expect(notSaved.stderr).toContain("dpo-ts: dir must be a directory written by a trainer's save(dir)");
  });
});
