import { describe, expect, it } from 'vitest';
import { extractPrompt } from './implicit-prompt.js';

describe("extractPrompt (TRL's extract_prompt)", () => {
  it('splits strings at the first difference, leaving the space before it to the responses', () => {
    expect(extractPrompt('The sky is blue.', 'The sky is green.', 'row')).toEqual({
      prompt: 'The sky is',
      chosen: ' blue.',
      rejected: ' green.',
    });
    // No space before the difference: the split is exactly there.
    expect(extractPrompt('2+2=4', '2+2=5', 'row')).toEqual({ prompt: '2+2=', chosen: '4', rejected: '5' });
  });

  it('as TRL, when one side is a prefix of the other the prompt stops one element before the shorter end', () => {
    expect(extractPrompt('abc', 'abcd', 'row')).toEqual({ prompt: 'ab', chosen: 'c', rejected: 'cd' });
  });

  it('splits conversations message by message', () => {
    const user = { role: 'user', content: 'Sky?' };
    const result = extractPrompt(
      [user, { role: 'assistant', content: 'Blue.' }],
      [user, { role: 'assistant', content: 'Green.' }],
      'row',
    );
    expect(result).toEqual({
      prompt: [user],
      chosen: [{ role: 'assistant', content: 'Blue.' }],
      rejected: [{ role: 'assistant', content: 'Green.' }],
    });
  });

  it('refuses pairs without a common prefix, naming the row', () => {
    expect(() => extractPrompt('blue', 'green', 'trainDataset[4]')).toThrow(
      'trainDataset[4] must be chosen and rejected that share a prefix (the implicit prompt), or a prompt field: got "no common prefix" (chosen starts "blue", rejected starts "green")',
    );
    // A shared leading space alone is not a prompt.
    expect(() => extractPrompt(' a', ' b', 'row')).toThrow('row must be chosen and rejected that share a prefix');
    expect(() => extractPrompt([{ role: 'user', content: 'a' }], [{ role: 'user', content: 'b' }], 'row')).toThrow(
      'no common prefix',
    );
  });
});
