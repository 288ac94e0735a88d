import { describe, expect, it } from 'vitest';
import { nearestTrainingCaptions } from './nearest-training-caption.js';

describe('nearestTrainingCaptions', () => {
  const training = [
    'face',
    'grinning face with big eyes',
    'grinning squinting face',
    'man frowning',
    'woman pouting',
    'up arrow',
    'down arrow',
    'flag: France',
    'cat',
    'grinning cat with smiling eyes',
  ];

  it('picks the most shared words, then the highest word Jaccard index, hand-computed', () => {
    expect(nearestTrainingCaptions(['grinning face', 'man pouting', 'up-left arrow'], training)).toEqual([
      // Both words: {grinning, squinting, face} has Jaccard 2 / 3, the big-eyes caption 2 / 6;
      // "face" has the higher Jaccard (1 / 2) but shares one word only.
      { caption: 'grinning face', nearest: 'grinning squinting face', shared: 2, words: 2, jaccard: 2 / 3 },
      // "man frowning" and "woman pouting" both share 1 word of a 3-word union: the earlier wins.
      { caption: 'man pouting', nearest: 'man frowning', shared: 1, words: 2, jaccard: 1 / 3 },
      // {up, left, arrow} against {up, arrow}: 2 / 3, before {down, arrow}: 1 / 4.
      { caption: 'up-left arrow', nearest: 'up arrow', shared: 2, words: 3, jaccard: 2 / 3 },
    ]);
  });

  it('prefers sharing more words to a higher Jaccard index', () => {
    // "cat": Jaccard 1 / 2 with one word; "grinning cat with smiling eyes": 2 / 5 with both.
    expect(nearestTrainingCaptions(['grinning cat'], training)).toEqual([
      { caption: 'grinning cat', nearest: 'grinning cat with smiling eyes', shared: 2, words: 2, jaccard: 2 / 5 },
    ]);
  });

  it('reports no neighbour when no word is shared, and Jaccard 1 for the same words', () => {
    expect(nearestTrainingCaptions(['rock', 'Flag, France'], training)).toEqual([
      { caption: 'rock', nearest: null, shared: 0, words: 1, jaccard: 0 },
      { caption: 'Flag, France', nearest: 'flag: France', shared: 2, words: 2, jaccard: 1 },
    ]);
  });

  it('counts distinct words once', () => {
    expect(nearestTrainingCaptions(['face face'], ['face'])).toEqual([
      { caption: 'face face', nearest: 'face', shared: 1, words: 1, jaccard: 1 },
    ]);
  });
});
