import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CharTokenizer } from './char-tokenizer.js';
import { CHATML_TEMPLATE, PLAIN_CHAT_TEMPLATE } from './chat-template.js';
import { withChatTemplate } from './chat-tokenizer.js';
import { DPOTrainer } from './dpo-trainer.js';
import { GPT } from './gpt-model.js';
import { loadLMPreferenceJsonl, loadLMSFTJsonl } from './lm-jsonl.js';
import { sampleCompletions } from './sample-completions.js';
import { SFTTrainer } from './sft-trainer.js';
import { loadTokenizer, saveTokenizer } from './tokenizer-io.js';

const base = CharTokenizer.fromCorpus(['abcdefgh .!?:\nusersystemassistant']);
const tokenizer = withChatTemplate(base, PLAIN_CHAT_TEMPLATE);
const gpt = (seed: number): GPT =>
  new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 48, dModel: 16, nLayer: 1, nHead: 2, seed });
const user = (content: string) => ({ role: 'user', content });
const assistant = (content: string) => ({ role: 'assistant', content });
const CHAT_PAIRS = [
  { prompt: [user('abc?')], chosen: [assistant('de!')], rejected: [assistant('hh.')] },
  { prompt: [user('h?')], chosen: [assistant('gfe!')], rejected: [assistant('a b')] },
  // An implicit conversational prompt: the shared first message.
  { chosen: [user('ba?'), assistant('c!')], rejected: [user('ba?'), assistant('dd.')] },
];

describe('implicit-prompt and conversational datasets in lm', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
  });

  it('DPO renders conversational rows with the chat template (golden text) and trains on them', async () => {
    const model = gpt(1);
    const trainer = await DPOTrainer.create({
      model,
      tokenizer,
      trainDataset: CHAT_PAIRS,
      evalDataset: CHAT_PAIRS,
      config: { totalSteps: 4, learningRate: 1e-2, beta: 0.5, perDeviceTrainBatchSize: 3 },
    });
    const text = (ids: readonly number[]) => base.decode(ids);
    expect(trainer.trainData.examples.map((e) => [text(e.prompt), text(e.chosen), text(e.rejected)])).toEqual([
      ['user: abc?\nassistant: ', 'de!\n', 'hh.\n'],
      ['user: h?\nassistant: ', 'gfe!\n', 'a b\n'],
      ['user: ba?\nassistant: ', 'c!\n', 'dd.\n'],
    ]);
    const before = await trainer.evaluate();
    expect(before.eval_loss).toBeCloseTo(Math.log(2), 5); // policy = its frozen copy
    const result = await trainer.train({ progress: false });
    expect(result.completedSteps).toBe(4);
    const after = await trainer.evaluate();
    expect(after.eval_loss).toBeLessThan(before.eval_loss!);
    expect(after['eval_rewards/accuracies']).toBeGreaterThan(0.5);
    trainer.dispose();
    model.dispose();
  });

  it('implicit text prompts give the same rows as explicit ones', async () => {
    const model = gpt(2);
    const implicit = await DPOTrainer.create({
      model,
      tokenizer: base,
      trainDataset: [{ chosen: 'abc? de!', rejected: 'abc? hh.' }],
      config: { totalSteps: 1 },
    });
    const explicit = await DPOTrainer.create({
      model,
      tokenizer: base,
      trainDataset: [{ prompt: 'abc?', chosen: ' de!', rejected: ' hh.' }],
      config: { totalSteps: 1 },
    });
    expect(implicit.trainData.examples).toEqual(explicit.trainData.examples);
    implicit.dispose();
    explicit.dispose();
    await expect(
      DPOTrainer.create({
        model,
        tokenizer: base,
        trainDataset: [{ chosen: 'ab', rejected: 'cd' }],
        config: { totalSteps: 1 },
      }),
    ).rejects.toThrow('trainDataset[0] must be chosen and rejected that share a prefix');
    await expect(
      DPOTrainer.create({ model, tokenizer: base, trainDataset: CHAT_PAIRS, config: { totalSteps: 1 } }),
    ).rejects.toThrow('tokenizer.chatTemplate must be a chat template for conversational rows');
    await expect(
      DPOTrainer.create({
        model,
        tokenizer,
        trainDataset: [{ prompt: [user('a')], chosen: [{ role: 'bot', content: 'b' }], rejected: [assistant('c')] }],
        config: { totalSteps: 1 },
      }),
    ).rejects.toThrow('trainDataset[0].chosen[0].role must be one of "system", "user", "assistant", "tool": got "bot"');
    model.dispose();
  });

  it('SFT renders { messages } as the whole conversation and message prompt-completion as a turn', async () => {
    const model = gpt(3);
    const trainer = await SFTTrainer.create({
      model,
      tokenizer,
      trainDataset: [
        { messages: [user('abc?'), assistant('de!')] },
        { prompt: [user('h?')], completion: [assistant('gfe!')] },
      ],
      config: { totalSteps: 1 },
    });
    const [whole, turn] = trainer.trainRows;
    expect(base.decode(whole!.inputIds.slice(1, -1))).toBe('user: abc?\nassistant: de!\n');
    expect(whole!.lossMask.slice(1).every((m) => m === 1)).toBe(true); // the whole text is scored
    const promptLength = 1 + 'user: h?\nassistant: '.length;
    expect(base.decode(turn!.inputIds.slice(promptLength, -1))).toBe('gfe!\n');
    expect(turn!.lossMask.slice(0, promptLength).every((m) => m === 0)).toBe(true); // completion-only loss
    trainer.dispose();
    model.dispose();
  });

  it('the template is saved with the tokenizer and sampling renders message prompts with it', async () => {
    const dir = await fs.mkdtemp(path.join(tmpdir(), 'dpo-ts-chat-'));
    dirs.push(dir);
    const file = path.join(dir, 'tokenizer.json');
    await saveTokenizer(file, withChatTemplate(base, CHATML_TEMPLATE));
    const loaded = await loadTokenizer(file);
    expect(loaded.chatTemplate).toEqual(CHATML_TEMPLATE);
    expect(loaded.encode('abc')).toEqual(base.encode('abc'));
    expect((await loadTokenizer(await plainFile(dir))).chatTemplate).toBeUndefined();
    const model = gpt(4);
    const [sample] = await sampleCompletions(model, tokenizer, [[user('abc?')]], { seed: 1, maxNewTokens: 3 });
    expect(sample!.prompt).toBe('user: abc?\nassistant: ');
    expect(sample!.promptIds).toEqual(base.encode('user: abc?\nassistant: '));
    model.dispose();
  });

  it('JSONL loaders name the file, line and field of a malformed message list', async () => {
    const dir = await fs.mkdtemp(path.join(tmpdir(), 'dpo-ts-chat-jsonl-'));
    dirs.push(dir);
    const good = path.join(dir, 'pairs.jsonl');
    await fs.writeFile(good, `${CHAT_PAIRS.map((pair) => JSON.stringify(pair)).join('\n')}\n`);
    expect(await loadLMPreferenceJsonl(good)).toEqual(CHAT_PAIRS);
    const bad = path.join(dir, 'bad.jsonl');
    await fs.writeFile(
      bad,
      `${JSON.stringify(CHAT_PAIRS[0])}\n${JSON.stringify({ prompt: [user('a')], chosen: [{ role: 'assistant' }], rejected: [assistant('b')] })}\n`,
    );
    await expect(loadLMPreferenceJsonl(bad)).rejects.toThrow(`${bad}:2: record.chosen[0].content must be a string`);
    const sft = path.join(dir, 'sft.jsonl');
    await fs.writeFile(
      sft,
      `${JSON.stringify({ messages: [user('a'), assistant('b')] })}\n${JSON.stringify({ messages: [] })}\n`,
    );
    await expect(loadLMSFTJsonl(sft)).rejects.toThrow(`${sft}:2: record.messages must be a non-empty list`);
  });
});

async function plainFile(dir: string): Promise<string> {
  const file = path.join(dir, 'plain.json');
  await saveTokenizer(file, base);
  return file;
}
