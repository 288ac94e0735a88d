import { printableText } from './printable-text.js';

/**
 * A short, human-readable rendering of any value for error messages: strings are quoted,
 * arrays and objects are abbreviated, numbers keep their sign and NaN/Infinity spelled out.
 *
 * @example describeValue('x') === '"x"'; describeValue([1, 2]) === '[1,2]'
 */
export function describeValue(value: unknown, maxLength = 60): string {
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') text = String(value);
  else if (value === undefined) text = 'undefined';
  else if (value === null) text = 'null';
  else if (typeof value === 'function') text = `function ${value.name || '(anonymous)'}`;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = Object.prototype.toString.call(value);
    }
  }
  // Values often come from data files: escape what JSON.stringify leaves raw (DEL, C1, U+2028).
  text = printableText(text);
  return text.length > maxLength ? `${text.slice(0, maxLength - 3)}...` : text;
}
