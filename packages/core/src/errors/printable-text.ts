/**
 * `text` made safe to print in an error message: C0 and C1 control characters (NUL, ESC,
 * a lone CR, DEL, ...), the line and paragraph separators U+2028 / U+2029 and lone UTF-16
 * surrogates are replaced by escapes (`\x00`, `\x1b`, `\u2028`, `\ud800`), so bytes copied
 * from a data file can neither move the terminal cursor nor split a log line. Tabs stay tabs.
 *
 * @example printableText('a\u0000b\u001b[2J') === 'a\\x00b\\x1b[2J'
 */
export function printableText(text: string): string {
  // The lone surrogates are matched pair-aware: a valid pair is left alone.
  return text.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: this function escapes control characters, so it must match them
    /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    (character) => {
      const code = character.charCodeAt(0);
      return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
    },
  );
}
