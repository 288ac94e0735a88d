import { Rng } from '../training/rng.js';
import type { JsonlReadOptions } from './jsonl-reader.js';

/**
 * A seeded generator of hostile JSONL files for the reader fuzz test. Every generated file
 * carries the generator's intent: the records a correct reader returns, or the 1-based line
 * of the first problem (0 for a file-level one: empty, no records), found by replaying the
 * reader's documented rules over the generated lines (not by running the reader).
 */

/** Which reader a case is for. */
export type FuzzReader = 'preference' | 'conversational' | 'prompt' | 'text';
export const FUZZ_READERS: readonly FuzzReader[] = ['preference', 'conversational', 'prompt', 'text'];

/** One generated input and what a correct reader does with it. */
export interface FuzzCase {
  readonly reader: FuzzReader;
  readonly bytes: Buffer;
  readonly options: JsonlReadOptions;
  /** What was done to the lines (`truncated`, `invalid-utf8`, `crlf`, ...). */
  readonly kinds: readonly string[];
  readonly expected: { readonly records: readonly unknown[] } | { readonly errorLine: number };
}

type Line =
  | { readonly bytes: Buffer; readonly verdict: 'record'; readonly record: unknown }
  | { readonly bytes: Buffer; readonly verdict: 'bad' | 'blank'; readonly kind?: string };

const REQUIRED: Record<FuzzReader, readonly string[]> = {
  preference: ['prompt', 'chosen', 'rejected'],
  conversational: ['prompt', 'chosen', 'rejected'],
  prompt: ['prompt'],
  text: ['text'],
};
const ALPHABET = [
  'a',
  'b',
  'z',
  ' ',
  'é',
  'ß',
  '😀',
  '中',
  '"',
  '\\',
  '\u2028',
  '\u0000',
  '\u0001',
  '\t',
  '\n',
  '\r',
  '\u001b',
  '/',
  '<eos>',
];
const INVALID_UTF8 = [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x80], [0xf4, 0x90, 0x80, 0x80], [0xc3]];
const RAW_CONTROLS = [0x00, 0x01, 0x09, 0x0d, 0x1b, 0x1f];
const NOT_OBJECTS = ['[1,2]', '"record"', '42', 'null', 'true', '[]'];
/** Nested arrays, 3000 and 200 deep (shared: records are only serialised). */
const DEEP_3000: unknown = JSON.parse('['.repeat(3000) + ']'.repeat(3000));
const DEEP_200: unknown = JSON.parse('['.repeat(200) + ']'.repeat(200));
const NOT_JSON = [
  '{prompt: "x"}',
  "{'text': 'x'}",
  '{"text": NaN}',
  '{"text": "x",}',
  '{"a":1} x',
  '{"a":1}{"b":2}',
  '}',
];

export class JsonlFuzzer {
  private readonly rng: Rng;
  constructor(seed: number) {
    this.rng = new Rng(seed);
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.rng.int(items.length)]!;
  }
  private chance(p: number): boolean {
    return this.rng.uniform() < p;
  }

  private text(maxLength = 12, nonEmpty = false): string {
    const length = this.rng.int(maxLength + 1) || (nonEmpty ? 1 : 0);
    return Array.from({ length }, () => this.pick(ALPHABET)).join('');
  }

  private messages(): { role: string; content: string }[] {
    return Array.from({ length: 1 + this.rng.int(3) }, () => ({
      role: this.pick(['system', 'user', 'assistant', 'tool']),
      content: this.text(8),
    }));
  }

  /** A valid value for `field` of `reader`. */
  private value(reader: FuzzReader, field: string): unknown {
    if (reader === 'conversational') return this.messages();
    const mayBeEmpty = reader === 'preference' && field !== 'prompt';
    return this.chance(0.005) ? 'x'.repeat(70_000 + this.rng.int(30_000)) : this.text(12, !mayBeEmpty);
  }

  /** A wrong value for `field` of `reader`. */
  private wrongValue(reader: FuzzReader, field: string): unknown {
    const deep = DEEP_3000;
    if (reader === 'conversational') {
      return this.pick<unknown>([
        'hi',
        [],
        [{ role: 'bot', content: 'x' }],
        [{ role: 'user' }],
        [{ role: 'user', content: 3 }],
        [1],
        null,
        deep,
      ]);
    }
    const wrong: unknown[] = [3, true, null, {}, [1], deep, [{ role: 'user', content: 'looks conversational' }]];
    if (field === 'prompt' || reader === 'text') wrong.push('');
    return this.pick(wrong);
  }

  private record(reader: FuzzReader): Record<string, unknown> {
    const record: Record<string, unknown> = {};
    for (const field of REQUIRED[reader]) record[field] = this.value(reader, field);
    const extras = this.rng.int(3);
    for (let i = 0; i < extras; i++) {
      record[this.pick(['id', 'margin', 'meta', 'score_chosen', 'source', 'deep'])] = this.pick<unknown>([
        this.rng.int(1000),
        0.25,
        this.text(5),
        { nested: [1, 'two', null] },
        DEEP_200,
      ]);
    }
    return record;
  }

  private expectedRecord(reader: FuzzReader, record: Record<string, unknown>): unknown {
    const required = REQUIRED[reader];
    const extra = Object.fromEntries(Object.entries(record).filter(([key]) => !required.includes(key)));
    return { ...Object.fromEntries(required.map((key) => [key, record[key]])), extra };
  }

  /** A valid line, sometimes with padding or a lone CR as JSON whitespace. */
  private goodLine(reader: FuzzReader, kinds: string[]): Line {
    const record = this.record(reader);
    let json = JSON.stringify(record);
    if (this.chance(0.1)) {
      json = `{\r${json.slice(1)}`;
      kinds.push('cr-as-whitespace');
    }
    if (this.chance(0.1)) json = ` \t${json}\t `;
    tagContent(json, kinds);
    return { bytes: Buffer.from(json, 'utf8'), verdict: 'record', record: this.expectedRecord(reader, record) };
  }

  /** A line with one defect; the reader must stop at it. */
  private badLine(reader: FuzzReader, kinds: string[]): Line {
    const record = this.record(reader);
    const field = this.pick(REQUIRED[reader]);
    const json = Buffer.from(JSON.stringify(record), 'utf8');
    const kind = this.pick([
      'truncated',
      'invalid-utf8',
      'missing-field',
      'mistyped-field',
      'raw-control',
      'not-object',
      'not-json',
      'mid-file-bom',
    ]);
    kinds.push(kind);
    let bytes: Buffer;
    switch (kind) {
      case 'truncated':
        bytes = json.subarray(0, 1 + this.rng.int(json.length - 1));
        break;
      case 'invalid-utf8': {
        // Insert between two ASCII bytes, so the sequence cannot complete a neighbour.
        const positions = [...json.keys()].filter((i) => i === 0 || (json[i - 1]! < 0x80 && json[i]! < 0x80));
        const at = this.pick(positions);
        bytes = Buffer.concat([json.subarray(0, at), Buffer.from(this.pick(INVALID_UTF8)), json.subarray(at)]);
        break;
      }
      case 'missing-field': {
        const { [field]: _removed, ...rest } = record;
        bytes = Buffer.from(JSON.stringify(rest), 'utf8');
        break;
      }
      case 'mistyped-field':
        bytes = Buffer.from(JSON.stringify({ ...record, [field]: this.wrongValue(reader, field) }), 'utf8');
        break;
      case 'raw-control': {
        // A raw control byte right after the opening quote of a string value.
        const text = JSON.stringify({
          ...record,
          [field]: reader === 'conversational' ? [{ role: 'user', content: 'ab' }] : 'ab',
        });
        const at =
          text.indexOf(reader === 'conversational' ? '"content":"' : `"${field}":"`) +
          (reader === 'conversational' ? 11 : field.length + 4);
        bytes = Buffer.concat([
          Buffer.from(text.slice(0, at)),
          Buffer.from([this.pick(RAW_CONTROLS)]),
          Buffer.from(text.slice(at)),
        ]);
        break;
      }
      case 'not-object':
        bytes = Buffer.from(this.pick(NOT_OBJECTS));
        break;
      case 'not-json':
        bytes = Buffer.from(this.pick(NOT_JSON));
        break;
      default: // a byte-order mark is only allowed at the very start of the file
        bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json]);
    }
    tagContent(bytes.toString('latin1'), kinds);
    return { bytes, verdict: 'bad', kind };
  }

  /** One generated file for `reader`. */
  next(reader: FuzzReader): FuzzCase {
    const kinds: string[] = [];
    const special = this.rng.uniform();
    if (special < 0.03)
      return {
        reader,
        bytes: Buffer.from(this.pick(['', ' ', '\n\n', '\r\n \t\r\n', '\uFEFF'])),
        options: {},
        kinds: ['empty'],
        expected: { errorLine: 0 },
      };
    if (special < 0.06) {
      // Old Mac line endings: one line, refused at line 1 unless it holds a single record.
      const lines = Array.from({ length: 1 + this.rng.int(3) }, () => this.goodLine(reader, kinds));
      const bytes = Buffer.concat(lines.flatMap((line) => [line.bytes, Buffer.from('\r')]));
      const expected = lines.length === 1 ? { records: [(lines[0] as { record: unknown }).record] } : { errorLine: 1 };
      return { reader, bytes, options: {}, kinds: ['cr-only'], expected };
    }
    const options: { maxRecords?: number; allowBlankLines?: boolean; maxLineBytes?: number } = {};
    if (this.chance(0.1)) options.maxRecords = 1 + this.rng.int(3);
    if (this.chance(0.1)) options.allowBlankLines = true;
    const lines: Line[] = [];
    const count = 1 + this.rng.int(6);
    const badRate = this.pick([0, 0.15, 0.4]);
    for (let i = 0; i < count; i++) {
      const roll = this.rng.uniform();
      if (roll < 0.08) lines.push({ bytes: Buffer.from(this.pick(['', ' ', '\t '])), verdict: 'blank' });
      else lines.push(roll < 0.08 + badRate ? this.badLine(reader, kinds) : this.goodLine(reader, kinds));
    }
    if (this.chance(0.08) && options.maxRecords === undefined) {
      // A line over maxLineBytes (valid JSON, too long); other lines stay well below.
      options.maxLineBytes = 8 * 1024;
      const small = lines.filter((line) => line.bytes.length <= 4 * 1024);
      lines.splice(0, lines.length, ...small);
      lines.splice(this.rng.int(lines.length + 1), 0, {
        bytes: Buffer.from(JSON.stringify({ ...this.record(reader), pad: 'y'.repeat(9_000) })),
        verdict: 'bad',
      });
      kinds.push('over-max-line-bytes');
    }
    const crlf = this.chance(0.3);
    if (crlf) kinds.push('crlf');
    // A BOM on line 1 is the file's own (allowed); a bad 'mid-file-bom' line there needs one before it.
    const first = lines[0];
    const bom = this.chance(0.1) || (first !== undefined && first.verdict === 'bad' && first.kind === 'mid-file-bom');
    if (bom) kinds.push('bom');
    const finalNewline = this.chance(0.8);
    const trailingBlank = this.chance(0.1);
    const ending = Buffer.from(crlf ? '\r\n' : '\n');
    const parts: Buffer[] = bom ? [Buffer.from([0xef, 0xbb, 0xbf])] : [];
    lines.forEach((line, i) => {
      parts.push(line.bytes);
      if (i < lines.length - 1 || finalNewline) parts.push(ending);
    });
    if (trailingBlank) parts.push(Buffer.from(' \n\n'));
    return { reader, bytes: Buffer.concat(parts), options, kinds, expected: replay(lines, options) };
  }
}

/** Notes what a line holds: a huge line, deep nesting, a NUL (escaped in a string, or raw). */
function tagContent(text: string, kinds: string[]): void {
  if (text.length > 60_000) kinds.push('huge-line');
  if (text.includes('[[[[[[[[[[[[[[[[[[[[')) kinds.push('deep-nesting');
  if (text.includes('\\u0000') || text.includes('\u0000')) kinds.push('nul');
}

/** The reader's documented rules, applied to the generated lines. */
function replay(lines: readonly Line[], options: JsonlReadOptions): FuzzCase['expected'] {
  const records: unknown[] = [];
  let pendingBlank = 0;
  for (const [index, line] of lines.entries()) {
    const number = index + 1;
    if (line.verdict === 'blank') {
      if (!options.allowBlankLines && pendingBlank === 0) pendingBlank = number;
      continue;
    }
    if (pendingBlank > 0) return { errorLine: pendingBlank };
    if (line.verdict !== 'record') return { errorLine: number };
    records.push(line.record);
    if (records.length === options.maxRecords) return { records };
  }
  return records.length === 0 ? { errorLine: 0 } : { records };
}
