import { promises as fs } from 'node:fs';
import { selectBackend } from '@dpo-ts/core/backend';
import { loadLanguageModel, sampleCompletions, samplePreferencePairs } from '@dpo-ts/lm';
import { loadTrainedRewardModel } from '@dpo-ts/reward';
import { JobKindRegistry } from '@dpo-ts/queue';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_PROMPTS, type LMFixture, writeLMFixture } from './lm-fixture.test-helper.js';
import { lmSampleKind, validateLMSamplePayload } from './lm-samples-kind.js';
import { type LMSamplingJobsOptions, bestOfN, sampleForEvaluation, sampleLabeledPairs } from './lm-sampling-jobs.js';

const kinds = new JobKindRegistry([lmSampleKind('pairs'), lmSampleKind('best-of-n'), lmSampleKind('evaluate')]);
let fixture: LMFixture;
let options: LMSamplingJobsOptions;

describe('sharded LM sampling jobs (pairs, best-of-N, evaluation samples)', () => {
  beforeAll(async () => {
    await selectBackend({ backend: 'cpu', quiet: true });
    fixture = await writeLMFixture();
    options = {
      modelDir: fixture.modelDir,
      prompts: FIXTURE_PROMPTS,
      samplesPerPrompt: 3,
      seed: 11,
      batchSize: 6,
      generation: { maxNewTokens: 6, temperature: 1 },
      labeler: { kind: 'reward-model', dir: fixture.rewardDir },
      backend: 'cpu',
      shardSize: 4,
      kinds,
      codeVersion: 'test',
    };
  });
  afterAll(() => fs.rm(fixture.dir, { recursive: true, force: true }));

  it("makes the pairs of lm's samplePreferencePairs over all prompts, whatever the shard size", async () => {
    // Independently: one unsharded sampling, the reward model's scores, lm's own pairing rule.
    const { model, tokenizer } = await loadLanguageModel(fixture.modelDir);
    const labeler = await loadTrainedRewardModel(fixture.rewardDir);
    const sampling = { seed: 11, batchSize: 6, maxNewTokens: 6, temperature: 1 };
    const repeated = FIXTURE_PROMPTS.flatMap((prompt) => [prompt, prompt, prompt]);
    const samples = await sampleCompletions(model, tokenizer, repeated, sampling);
    const scores = await labeler.model.scoreTexts(labeler.tokenizer, samples);
    const rewardOf = new Map(samples.map((s, i) => [`${s.prompt}\u0000${s.completion}`, scores[i]!]));
    const expected = await samplePreferencePairs(
      model,
      tokenizer,
      FIXTURE_PROMPTS,
      (completion, prompt) => rewardOf.get(`${prompt}\u0000${completion}`)!,
      { ...sampling, samplesPerPrompt: 3 },
    );
    model.dispose();
    labeler.model.dispose();
    expect(expected.pairs.length).toBeGreaterThan(6);

    const before = tf.memory().numTensors;
    const sharded = await sampleLabeledPairs(options);
    expect(tf.memory().numTensors).toBe(before);
    expect(sharded).toEqual(expected);
    expect(await sampleLabeledPairs({ ...options, shardSize: 2 })).toEqual(expected);
  });

  it('best-of-N keeps the best of the evaluation samples of the same seed', async () => {
    const evaluation = await sampleForEvaluation(options);
    expect(evaluation.map((e) => e.prompt)).toEqual(FIXTURE_PROMPTS);
    expect(evaluation.every((e) => e.samples.length === 3)).toBe(true);
    const best = await bestOfN({ ...options, shardSize: 6 });
    best.forEach((entry, i) => {
      const rewards = evaluation[i]!.samples.map((s) => s.reward);
      expect(entry!.reward).toBe(Math.max(...rewards));
      expect(entry!.completion).toBe(evaluation[i]!.samples[rewards.indexOf(entry!.reward)]!.completion);
    });
  });

  it('refuses bad payloads naming the field, and shards that do not line up with the batches', async () => {
    const payload = { ...options, prompts: ['ab'] };
    expect(() => validateLMSamplePayload({ ...payload, labeler: { kind: 'gpt-4' } }, 'pairs')).toThrow(
      'payload.labeler.kind must be one of "afinn", "vader", "reward-model": got "gpt-4"',
    );
    expect(() => validateLMSamplePayload({ ...payload, samplesPerPrompt: 1 }, 'pairs')).toThrow(
      'payload.samplesPerPrompt must be an integer >= 2: got 1',
    );
    expect(() => validateLMSamplePayload({ ...payload, generation: { maxNewTokens: 4, topP: 0 } }, 'evaluate')).toThrow(
      'payload.generation.topP must be a finite number > 0 and <= 1: got 0',
    );
    await expect(sampleLabeledPairs({ ...options, shardSize: 3, batchSize: 4 })).rejects.toThrow(
      'options.shardSize must be a size whose rows (shardSize x samplesPerPrompt = 9) are a multiple of batchSize 4: got 3',
    );
  });
});
