import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPromptJsonl, readPromptJsonl, writePromptJsonl } from './prompt-jsonl.js';

const root = mkdtempSync(join(tmpdir(), 'dpo-ts-prompts-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('prompt-only JSONL (RL rollouts)', () => {
  it('round-trips prompts and streams them', async () => {
    const path = join(root, 'prompts.jsonl');
    await writePromptJsonl(path, [{ prompt: 'Describe the sky.', extra: { id: 1 } }, { prompt: 'Name a fruit.' }]);
    expect(await loadPromptJsonl(path)).toEqual([
      { prompt: 'Describe the sky.', extra: { id: 1 } },
      { prompt: 'Name a fruit.', extra: {} },
    ]);
    const prompts: string[] = [];
    for await (const { prompt } of readPromptJsonl(path, undefined, { maxRecords: 1 })) prompts.push(prompt);
    expect(prompts).toEqual(['Describe the sky.']);
  });

  it('reads the prompts of a preference file, keeping the responses as extra fields, and names bad lines', async () => {
    const path = join(root, 'pairs-as-prompts.jsonl');
    writeFileSync(path, '{"prompt": "p", "chosen": "c", "rejected": "r"}\n{"prompt": 5}\n');
    await expect(loadPromptJsonl(path)).rejects.toThrow(`${path}:2: field "prompt" must be a non-empty string: got 5`);
    writeFileSync(path, '{"prompt": "p", "chosen": "c", "rejected": "r"}\n');
    expect(await loadPromptJsonl(path)).toEqual([{ prompt: 'p', extra: { chosen: 'c', rejected: 'r' } }]);
  });
});
