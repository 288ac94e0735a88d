import { describe, expect, it } from 'vitest';
import { applySubstitutions, extractQuickstarts } from './quickstart-blocks.mjs';

const README = [
  '# x',
  '```ts',
  'notRun(totalSteps: 100);',
  '```',
  '```ts quickstart totalSteps=2 length=8',
  'const a = { totalSteps: 300, maxTotalSteps: 7 };',
  'const b = Array.from({ length: 8000 }, (_, i) => i);',
  'run({ totalSteps: 1e3 });',
  '```',
  '```sh',
  'npm test',
  '```',
].join('\n');

describe('extractQuickstarts', () => {
  it('finds only blocks marked quickstart, with their line and CI sizes', () => {
    const blocks = extractQuickstarts(README, 'README.md');
    expect(blocks).toHaveLength(1);
    expect(blocks[0]).toMatchObject({
      file: 'README.md',
      line: 5,
      language: 'ts',
      substitutions: { totalSteps: '2', length: '8' },
    });
    expect(blocks[0].code.split('\n')).toHaveLength(3);
  });

  it('rejects a malformed option, an unclosed block and a non-code language', () => {
    expect(() => extractQuickstarts('```ts quickstart steps\nx\n```', 'R.md')).toThrow(
      'R.md:1: quickstart option "steps" must be key=<number>',
    );
    expect(() => extractQuickstarts('```ts quickstart\nx\n', 'R.md')).toThrow('R.md:1: code block never closed');
    expect(() => extractQuickstarts('```sh quickstart\nx\n```', 'R.md')).toThrow('must be `ts` or `js`, got `sh`');
  });
});

describe('applySubstitutions', () => {
  it('replaces every `key: <number>` of the named keys and nothing else', () => {
    const [block] = extractQuickstarts(README, 'README.md');
    expect(applySubstitutions(block).split('\n')).toEqual([
      'const a = { totalSteps: 2, maxTotalSteps: 7 };',
      'const b = Array.from({ length: 8 }, (_, i) => i);',
      'run({ totalSteps: 2 });',
    ]);
  });

  it('fails on a substitution that no longer matches the block', () => {
    const [block] = extractQuickstarts('```ts quickstart epochs=1\nrun({ totalSteps: 5 });\n```', 'lm/README.md');
    expect(() => applySubstitutions(block)).toThrow(
      'lm/README.md:1: quickstart option epochs=1 matches no `epochs: <number>` in the block (stale?)',
    );
  });
});
