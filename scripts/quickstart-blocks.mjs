// Finds the runnable code blocks of the docs and applies their CI-size substitutions.
//
// A block is runnable when its info string says `quickstart` after the language:
//
//   ```ts quickstart totalSteps=2 length=8
//
// Renderers show only the language; the rest is for scripts/check-quickstarts.mjs. Each
// `key=value` replaces every `key: <number>` in the block with `key: value`, so the README shows
// the real sizes and CI runs the same code at small ones. A substitution that matches nothing is
// an error: when a quick start is rewritten, its stale CI sizes cannot go unnoticed.

const FENCE = /^```(\S*)[ \t]*(.*)$/;
const NUMBER = String.raw`-?(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][+-]?\d+)?`;

/**
 * The runnable blocks of one markdown text.
 * @param {string} markdown
 * @param {string} file - shown in names and errors
 * @returns {{ file: string, line: number, language: string, substitutions: Record<string, string>, code: string }[]}
 */
export function extractQuickstarts(markdown, file) {
  const lines = markdown.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (open === null) continue;
    const [, language, info] = open;
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    if (end === lines.length) throw new Error(`${file}:${i + 1}: code block never closed`);
    const words = info.split(/\s+/).filter((word) => word !== '');
    if (words[0] === 'quickstart') {
      if (language !== 'ts' && language !== 'js') {
        throw new Error(
          `${file}:${i + 1}: a quickstart block must be \`ts\` or \`js\`, got \`${language || '(none)'}\``,
        );
      }
      blocks.push({
        file,
        line: i + 1,
        language,
        substitutions: parseSubstitutions(words.slice(1), `${file}:${i + 1}`),
        code: lines.slice(i + 1, end).join('\n'),
      });
    }
    i = end;
  }
  return blocks;
}

/**
 * @param {string[]} words - `key=value` tokens
 * @param {string} where
 * @returns {Record<string, string>}
 */
function parseSubstitutions(words, where) {
  const substitutions = {};
  for (const word of words) {
    const match = /^([A-Za-z_$][\w$]*)=(.+)$/.exec(word);
    if (match === null || !new RegExp(`^${NUMBER}$`).test(match[2])) {
      throw new Error(`${where}: quickstart option "${word}" must be key=<number>, e.g. totalSteps=2`);
    }
    substitutions[match[1]] = match[2];
  }
  return substitutions;
}

/**
 * The block's code at CI sizes.
 * @param {{ file: string, line: number, substitutions: Record<string, string>, code: string }} block
 * @returns {string}
 */
export function applySubstitutions(block) {
  let code = block.code;
  for (const [key, value] of Object.entries(block.substitutions)) {
    const pattern = new RegExp(`(?<![\\w$])${key}: ${NUMBER}`, 'g');
    if (code.match(pattern) === null) {
      throw new Error(
        `${block.file}:${block.line}: quickstart option ${key}=${value} matches no \`${key}: <number>\` in the block (stale?)`,
      );
    }
    code = code.replace(pattern, `${key}: ${value}`);
  }
  return code;
}
