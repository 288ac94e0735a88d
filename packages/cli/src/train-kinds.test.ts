import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSavedModelManifest } from '@dpo-ts/core/io';
import { DPOTrainer, SFTTrainer } from '@dpo-ts/lm';
import { describe, expect, it } from 'vitest';
import { runCli as run } from './run-cli.test-helper.js';

const EXAMPLES = fileURLToPath(new URL('../../../docs/examples/', import.meta.url));
const TINY_GPT = 'model={"from":"new","gpt":{"contextLength":64,"dModel":16,"nLayer":1,"nHead":2}}';
const TINY_RUN = ['--set', 'training.totalSteps=1', '--set', 'training.perDeviceTrainBatchSize=4', '--backend', 'cpu'];

describe('dpo-ts train sft | reward | diffusion-sft', () => {
  it('trains SFT, starts DPO from the saved SFT model, and trains a reward model', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'dpo-ts-cli-kinds-'));
    const pairs = (await readFile(join(EXAMPLES, 'lm-dpo.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    await writeFile(
      join(cwd, 'sft.jsonl'),
      pairs
        .map((p: { prompt: string; chosen: string }) => JSON.stringify({ prompt: p.prompt, completion: p.chosen }))
        .join('\n'),
    );
    await writeFile(
      join(cwd, 'sft.json'),
      JSON.stringify({ model: { from: 'base' }, data: { train: 'sft.jsonl' }, training: {} }),
    );
    const sft = await run(
      ['train', 'sft', '--config', 'sft.json', '--set', TINY_GPT, ...TINY_RUN, '--out', 'sft'],
      cwd,
    );
    expect(sft.stderr).toContain('dpo-ts train sft: 40 records from sft.jsonl, starting from a new GPT');
    expect(sft.code).toBe(0);
    expect((await readSavedModelManifest(join(cwd, 'sft', 'model'))).kind).toBe('sft');

    const fromSFT = 'model={"from":"saved","dir":"sft/model"}';
    const dpoArgs = ['train', 'dpo', '--config', join(EXAMPLES, 'lm-dpo.json'), '--set', fromSFT, ...TINY_RUN];
    // The config's paths are relative to its folder: point model.dir at the run folder.
    const dpo = await run([...dpoArgs, '--set', `model.dir=${join(cwd, 'sft', 'model')}`, '--out', 'dpo'], cwd);
    expect(dpo.stderr).toContain(`starting from the sft model in sft/model (step 1)`);
    expect(dpo.code).toBe(0);
    const [before, after] = [
      await SFTTrainer.load(join(cwd, 'sft', 'model')),
      await DPOTrainer.load(join(cwd, 'dpo', 'model')),
    ];
    expect(after.tokenizer.toJSON()).toEqual(before.tokenizer.toJSON());
    expect(after.model.config).toEqual(before.model.config);
    before.model.dispose();
    after.model.dispose();

    const rewardArgs = ['train', 'reward', '--config', join(EXAMPLES, 'lm-dpo.json'), '--set', TINY_GPT];
    // The DPO example's `beta` is not a reward-model field: refused, naming it.
    const refused = await run([...rewardArgs, ...TINY_RUN, '--out', 'rm'], cwd);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^dpo-ts: training\.beta must be absent \(known fields: totalSteps, .*\): got 0\.1\n$/,
    );
    const reward = await run([...rewardArgs, '--set', 'training={}', ...TINY_RUN, '--out', 'rm'], cwd);
    expect(reward.code).toBe(0);
    expect(await readSavedModelManifest(join(cwd, 'rm', 'model'))).toMatchObject({
      kind: 'reward',
      modality: 'reward',
    });
    const sampleReward = await run(['sample', '--model', 'rm/model', '--prompt', 'x', '--backend', 'cpu'], cwd);
    expect(sampleReward.code).toBe(1);
    expect(sampleReward.stderr).toContain('a reward model written by the reward trainer cannot be sampled');
  });

  it('trains Diffusion-SFT on the chosen images of the example pairs', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'dpo-ts-cli-kinds-'));
    const result = await run(
      ['train', 'diffusion-sft', '--config', join(EXAMPLES, 'diffusion-dpo.json'), ...TINY_RUN, '--out', 'run'],
      cwd,
    );
    expect(result.stderr).toContain('dpo-ts train diffusion-sft: 16 image pairs (28x28x1)');
    expect(result.code).toBe(0);
    expect(await readSavedModelManifest(join(cwd, 'run', 'model'))).toMatchObject({ kind: 'diffusion-sft', step: 1 });
  });
});
