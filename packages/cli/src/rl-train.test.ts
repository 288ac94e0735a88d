import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSavedModelManifest } from '@dpo-ts/core/io';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { PPOTrainer } from '@dpo-ts/rlhf';
import { describe, expect, it } from 'vitest';
import { runCli as run } from './run-cli.test-helper.js';

const EXAMPLES = fileURLToPath(new URL('../../../docs/examples/', import.meta.url));
const TINY_GPT = 'model={"from":"new","gpt":{"contextLength":64,"dModel":16,"nLayer":1,"nHead":2}}';
const PPO = ['--config', join(EXAMPLES, 'ppo.json'), '--set', TINY_GPT, '--backend', 'cpu'];
const TINY_PPO = [
  '--set',
  'training.batchSize=4',
  '--set',
  'training.responseLength=4',
  '--set',
  'reward.function="vowels"',
];

describe('dpo-ts train ppo | rloo | grpo | online-dpo | ddpo', () => {
  it('trains PPO on the example prompts, saves policy and value head, samples, resumes only with --resume', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'dpo-ts-cli-rl-'));
    const train = ['train', 'ppo', ...PPO, ...TINY_PPO, '--set', 'training.totalSteps=1', '--out', 'run'];
    const trained = await expectNoLeak(() => run(train, cwd));
    expect(trained.stderr).toContain('dpo-ts train ppo: 32 prompts from');
    expect(trained.stderr).toContain('scored by the vowels reward');
    expect(trained.code).toBe(0);
    expect(trained.stdout).toMatch(/^trained ppo for 1 steps \(last step: loss -?\d\.\d{4}, objective\/scores/);
    expect(trained.stdout).toMatch(/evaluation: eval_reward \d/);
    expect(trained.stdout).toContain('saved the model to run/model');
    const manifest = await readSavedModelManifest(join(cwd, 'run', 'model'));
    expect(manifest).toMatchObject({ kind: 'ppo', modality: 'lm', step: 1 });
    const saved = await PPOTrainer.load(join(cwd, 'run', 'model'));
    expect(saved.valueHead?.inputSize).toBe(16);
    saved.model.dispose();
    saved.valueHead?.dispose();

    const again = await run(train, cwd);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('pass --resume to continue that run');
    const resumed = await run([...train, '--set', 'training.totalSteps=2', '--resume'], cwd);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('trained ppo for 2 steps, resumed at step 1');
    expect((await readSavedModelManifest(join(cwd, 'run', 'model'))).step).toBe(2);
    const sampled = await run(['sample', '--model', 'run/model', '--prompt', 'The cafe', '--max-new-tokens', '4'], cwd);
    expect(sampled.code).toBe(0);
    expect(sampled.stdout).toMatch(/^The cafe → .{0,4}\n$/u);
  });

  it('trains RLOO, GRPO and online DPO from the same prompts and starts one from the saved policy of another', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'dpo-ts-cli-rl-'));
    const training = {
      rloo: { totalSteps: 1, numGenerations: 2, perDeviceTrainBatchSize: 4, maxCompletionLength: 4 },
      grpo: { totalSteps: 1, numGenerations: 2, perDeviceTrainBatchSize: 4, maxCompletionLength: 4 },
      'online-dpo': { totalSteps: 1, perDeviceTrainBatchSize: 2, maxNewTokens: 4 },
    };
    for (const [kind, config] of Object.entries(training)) {
      const result = await expectNoLeak(() =>
        run(['train', kind, ...PPO, '--set', `training=${JSON.stringify(config)}`, '--out', kind], cwd),
      );
      expect(result.stderr, kind).toContain(`dpo-ts train ${kind}: 32 prompts`);
      expect(result.code, result.stderr).toBe(0);
      expect(await readSavedModelManifest(join(cwd, kind, 'model'))).toMatchObject({ kind, modality: 'lm', step: 1 });
    }
    // A saved policy starts the next RL run (online DPO from the RLOO model).
    const next = await run(
      [
        'train',
        'online-dpo',
        ...PPO,
        '--set',
        `model=${JSON.stringify({ from: 'saved', dir: join(cwd, 'rloo', 'model') })}`,
        '--set',
        `training=${JSON.stringify(training['online-dpo'])}`,
        '--out',
        'next',
      ],
      cwd,
    );
    expect(next.stderr).toContain('starting from the rloo model in');
    expect(next.code).toBe(0);
  });

  it('scores with a reward model trained by dpo-ts train reward', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'dpo-ts-cli-rl-'));
    const reward = await run(
      [
        'train',
        'reward',
        '--config',
        join(EXAMPLES, 'lm-dpo.json'),
        '--set',
        TINY_GPT,
        '--set',
        'training={"totalSteps":1,"perDeviceTrainBatchSize":4}',
        '--out',
        'rm',
        '--backend',
        'cpu',
      ],
      cwd,
    );
    expect(reward.code, reward.stderr).toBe(0);
    const ppo = await expectNoLeak(() =>
      run(
        [
          'train',
          'ppo',
          ...PPO,
          ...TINY_PPO,
          '--set',
          'training.totalSteps=1',
          '--set',
          `reward=${JSON.stringify({ model: join(cwd, 'rm', 'model') })}`,
        ],
        cwd,
      ),
    );
    expect(ppo.stderr).toContain('scored by the reward model in');
    expect(ppo.code, ppo.stderr).toBe(0);
  });

  it('trains DDPO on MNIST labels with the JPEG reward and samples the saved denoiser', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'dpo-ts-cli-rl-'));
    const result = await expectNoLeak(() =>
      run(
        [
          'train',
          'ddpo',
          '--config',
          join(EXAMPLES, 'ddpo.json'),
          '--set',
          'training={"totalSteps":1,"samplesPerStep":4,"sampleBatchSize":4,"trainBatchSize":4,"numSteps":2}',
          '--out',
          'ddpo',
          '--backend',
          'cpu',
        ],
        cwd,
      ),
    );
    expect(result.stderr).toContain('dpo-ts train ddpo: 10 conditions (labels 0, 1, 2, 3, 4, 5, 6, 7, 8, 9)');
    expect(result.stderr).toContain('rewarded by jpeg-compressibility');
    expect(result.code, result.stderr).toBe(0);
    expect(await readSavedModelManifest(join(cwd, 'ddpo', 'model'))).toMatchObject({ kind: 'ddpo', step: 1 });
    const sampled = await run(
      ['sample', '--model', 'ddpo/model', '--label', '3', '--steps', '2', '--out', 'g.png'],
      cwd,
    );
    expect(sampled.stdout).toContain('wrote g.png: 1 samples (28x28)');
    expect(await readdir(cwd)).toContain('g.png');
  });

  it('names a missing or misspelt reward, and refuses a reward for a non-RL kind', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'dpo-ts-cli-rl-'));
    const misspelt = await run(['train', 'ppo', ...PPO, '--set', 'reward.function="sentimnt"'], cwd);
    expect(misspelt.code).toBe(1);
    expect(misspelt.stderr).toContain(
      'dpo-ts: reward.function must be one of "sentiment", "sentiment-comparative", "vowels": got "sentimnt" (did you mean "sentiment"?)',
    );
    const missing = await run(['train', 'rloo', ...PPO, '--set', 'reward=null'], cwd);
    expect(missing.stderr).toContain('dpo-ts: reward must be { "function": name } or { "model": "runs/reward/model" }');
    const field = await run(['train', 'ppo', ...PPO, '--set', 'reward={"functoin":"vowels"}'], cwd);
    expect(field.stderr).toContain('reward.functoin must be absent');
    expect(field.stderr).toContain('(did you mean "function"?)');
    const image = await run(
      ['train', 'ddpo', '--config', join(EXAMPLES, 'ddpo.json'), '--set', 'reward={"model":"x"}'],
      cwd,
    );
    expect(image.stderr).toContain('reward.model must be absent');
    const dpo = await run(
      ['train', 'dpo', '--config', join(EXAMPLES, 'lm-dpo.json'), '--set', 'reward={"function":"vowels"}'],
      cwd,
    );
    expect(dpo.stderr).toContain('dpo-ts: reward must be absent (not a field of the run config');
    const ppoField = await run(['train', 'ppo', ...PPO, '--set', 'training.saveSteps=5'], cwd);
    expect(ppoField.stderr).toContain('training.saveSteps must be absent');
    // The thread counts of every RL kind: `workers` (gradient updates) and `samplingWorkers` (rollouts).
    for (const kind of ['ppo', 'rloo', 'grpo', 'online-dpo']) {
      const workers = await run(['train', kind, ...PPO, '--set', 'training={"totalSteps":1,"workers":0}'], cwd);
      expect(workers.stderr).toContain("training.workers must be an integer >= 1 or 'auto': got 0");
      const sampling = await run(
        ['train', kind, ...PPO, '--set', 'training={"totalSteps":1,"samplingWorkers":"many"}'],
        cwd,
      );
      expect(sampling.stderr).toContain('training.samplingWorkers must be an integer >= 1 or \'auto\': got "many"');
    }
    const ddpoWorkers = await run(
      ['train', 'ddpo', '--config', join(EXAMPLES, 'ddpo.json'), '--set', 'training.workers=1.5'],
      cwd,
    );
    expect(ddpoWorkers.stderr).toContain("training.workers must be an integer >= 1 or 'auto': got 1.5");
  });
});
