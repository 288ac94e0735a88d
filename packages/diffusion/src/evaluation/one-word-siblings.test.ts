import { describe, expect, it } from 'vitest';
import { oneWordSiblings } from './one-word-siblings.js';

describe('oneWordSiblings', () => {
  it('pairs captions that differ in exactly one word, in list order', () => {
    const captions = [
      'up arrow',
      'grinning face',
      'down arrow',
      'grinning face with big eyes',
      'speaker low volume',
      'Speaker medium volume',
      'flag: France',
      'up-right arrow',
      'flag: Chile',
      'red apple',
    ];
    expect(oneWordSiblings(captions)).toEqual([
      { caption: 'up arrow', siblings: ['down arrow'] },
      { caption: 'down arrow', siblings: ['up arrow'] },
      { caption: 'speaker low volume', siblings: ['Speaker medium volume'] },
      { caption: 'Speaker medium volume', siblings: ['speaker low volume'] },
      { caption: 'flag: France', siblings: ['flag: Chile'] },
      { caption: 'flag: Chile', siblings: ['flag: France'] },
    ]);
  });

  it('keeps the first of captions with the same words and never pairs a caption with itself', () => {
    expect(oneWordSiblings(['man pouting', 'Man, pouting', 'woman pouting', 'man frowning'])).toEqual([
      { caption: 'man pouting', siblings: ['woman pouting', 'man frowning'] },
      { caption: 'woman pouting', siblings: ['man pouting'] },
      { caption: 'man frowning', siblings: ['man pouting'] },
    ]);
  });

  it('needs equal lengths of two words or more: an extra word is not a sibling, one-word captions have none', () => {
    expect(oneWordSiblings(['clock', 'alarm clock', 'timer clock', 'one', 'timer clock face'])).toEqual([
      { caption: 'alarm clock', siblings: ['timer clock'] },
      { caption: 'timer clock', siblings: ['alarm clock'] },
    ]);
  });
});
