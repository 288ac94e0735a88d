import { InvalidArgumentError } from '@dpo-ts/core';

/** What {@link realWordRate} counted. */
export interface RealWordRate {
  /** `realWords / words`; NaN when the texts hold no word. */
  readonly rate: number;
  /** Words found in the texts. */
  readonly words: number;
  /** Of those, words the dictionary knows. */
  readonly realWords: number;
}

// Letters with internal apostrophes (ASCII ' or the typographic ’): "don't", "whale's".
const WORD_PATTERN = /[a-z]+(?:['’][a-z]+)*/g;
// English clitics: a word with one of these endings is real when its stem is ("don't" -> "don").
const CLITIC_PATTERN = /['’](?:s|t|d|m|ll|re|ve)$/;

/**
 * The words of a text, lower-cased: maximal runs of ASCII letters with internal apostrophes.
 * Digits, punctuation and non-ASCII letters separate words (`"state-of-the-art"` is four
 * words; `"café"` gives `"caf"`, which no English list holds).
 * @example textWords("Don't stop, Ishmael!") // ["don't", 'stop', 'ishmael']
 */
export function textWords(text: string): string[] {
  return text.toLowerCase().match(WORD_PATTERN) ?? [];
}

/**
 * Share of generated words that a dictionary knows: a fluency guard for sampled text (a
 * model that writes gibberish scores low whatever its reward).
 *
 *   rate = #{ w in words(texts) : dictionary has w, or w is stem + clitic with a known stem } / #words
 *
 * Words are {@link textWords}; a word ending in an English clitic (`'s 't 'd 'm 'll 're 've`)
 * counts as real when the word itself or its stem is known (`"whale's"`, `"don't"`).
 *
 * The measure is only as strict as the dictionary. With `an-array-of-english-words` (~275k
 * entries) it is lenient one way: the list holds rare and archaic words and short strings
 * (`"re"`, `"don"`, the letters a i o u y), so fragments often pass, and real words in a
 * meaningless order score 1. It is strict the other way: proper names (`"america"`,
 * `"washington"`) and abbreviations (`"mr"`) are absent, so human text scores below 1. Compare
 * with the rate of real text from the same domain, and read it with distinct-n and held-out
 * perplexity.
 *
 * @param dictionary - lower-case words (a `Set` of the word list).
 */
export function realWordRate(texts: readonly string[], dictionary: ReadonlySet<string>): RealWordRate {
  if (!Array.isArray(texts)) throw new InvalidArgumentError('texts', 'an array of strings', texts);
  let words = 0;
  let realWords = 0;
  texts.forEach((text, index) => {
    if (typeof text !== 'string') throw new InvalidArgumentError(`texts[${index}]`, 'a string', text);
    for (const word of textWords(text)) {
      words++;
      if (dictionary.has(word) || (CLITIC_PATTERN.test(word) && dictionary.has(word.replace(CLITIC_PATTERN, ''))))
        realWords++;
    }
  });
  return { rate: words === 0 ? Number.NaN : realWords / words, words, realWords };
}
