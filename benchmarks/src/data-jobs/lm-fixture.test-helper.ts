import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writePreferenceJsonl } from '@dpo-ts/core/data';
import { CharTokenizer, GPT, saveLanguageModel } from '@dpo-ts/lm';
import { SequenceRewardModel, saveTrainedRewardModel } from '@dpo-ts/reward';

/** Prompts of the tiny LM fixture: letters the char tokenizer knows. */
export const FIXTURE_PROMPTS = ['ab', 'ba', 'cab', 'dee', 'fa', 'bed', 'ace', 'gab', 'had', 'cafe', 'bead', 'dab'];

/**
 * A saved tiny GPT (char tokenizer, context 24), a saved reward model with a random head (a
 * labeler whose scores rarely tie) and train / eval preference JSONL files, in a temporary folder.
 */
export interface LMFixture {
  readonly dir: string;
  readonly modelDir: string;
  readonly rewardDir: string;
  readonly trainFile: string;
  readonly evalFile: string;
}

/** Writes the fixture (deterministic: the same files every time). */
export async function writeLMFixture(): Promise<LMFixture> {
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'dpo-ts-data-jobs-'));
  const tokenizer = CharTokenizer.fromCorpus(['abcdefgh .']);
  const model = new GPT({
    vocabSize: tokenizer.vocabSize,
    contextLength: 24,
    dModel: 16,
    nLayer: 1,
    nHead: 2,
    seed: 5,
  });
  const modelDir = path.join(dir, 'reference');
  try {
    await saveLanguageModel(modelDir, { kind: 'sft', model, tokenizer, trainerConfig: {}, step: 0 });
  } finally {
    model.dispose();
  }
  const rewardDir = path.join(dir, 'reward');
  const reward = new SequenceRewardModel(
    new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 32, dModel: 16, nLayer: 1, nHead: 2, seed: 7 }),
    { headSeed: 1, headInitStd: 1 },
  );
  try {
    await saveTrainedRewardModel(rewardDir, { model: reward, tokenizer, trainerConfig: {}, step: 0 });
  } finally {
    reward.dispose();
  }
  const pair = (prompt: string, i: number) => ({
    prompt,
    chosen: `${'abc'.slice(0, 1 + (i % 3))} good.`,
    rejected: `${'hg'.repeat(1 + (i % 2))} bad`,
  });
  const trainFile = path.join(dir, 'train.jsonl');
  const evalFile = path.join(dir, 'eval.jsonl');
  await writePreferenceJsonl(trainFile, FIXTURE_PROMPTS.map(pair));
  await writePreferenceJsonl(
    evalFile,
    FIXTURE_PROMPTS.slice(0, 4).map((prompt, i) => pair(prompt, i + 1)),
  );
  return { dir, modelDir, rewardDir, trainFile, evalFile };
}
