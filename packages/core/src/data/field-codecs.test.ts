import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { classLabelField } from './class-label-field.js';
import { conversationalField } from './conversational-field.js';
import type { FieldContext, FieldParseResult } from './field-codec.js';
import { describeFieldFailure, requireFieldCodec } from './field-codec.js';
import { imageField } from './image-field.js';
import { textField } from './text-field.js';

const directory = mkdtempSync(join(tmpdir(), 'dpo-ts-codecs-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
const context: FieldContext = { file: join(directory, 'pairs.jsonl'), directory, field: 'chosen' };

// A 1x1 PNG: the 8-byte signature then IHDR, enough for the signature check.
const PNG_BASE64 = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]).toString('base64');

function message<T>(result: FieldParseResult<T>): string {
  if (result.ok) throw new Error('expected a failure');
  return describeFieldFailure('chosen', result);
}

describe('textField', () => {
  it('keeps strings exactly and accepts empty ones by default (empty completions are legal)', () => {
    expect(textField().parse('  a\nb ', context)).toEqual({ ok: true, value: '  a\nb ' });
    expect(textField().parse('', context)).toEqual({ ok: true, value: '' });
  });

  it('rejects non-strings and, when asked, empty strings, naming expected and actual', () => {
    expect(message(textField().parse(3, context))).toBe('field "chosen" must be a string: got 3');
    expect(message(textField({ allowEmpty: false }).parse('', context))).toBe(
      'field "chosen" must be a non-empty string: got ""',
    );
    expect(message(textField().parse(null, context))).toBe('field "chosen" must be a string: got null');
  });

  it('hints at the conversational codec when given messages', () => {
    expect(message(textField().parse([{ role: 'user', content: 'hi' }], context))).toContain('conversationalField()');
  });
});

describe('classLabelField', () => {
  it('accepts integers in range and rejects the rest', () => {
    const field = classLabelField({ numClasses: 10 });
    expect(field.parse(0, context)).toEqual({ ok: true, value: 0 });
    expect(field.parse(9, context)).toEqual({ ok: true, value: 9 });
    expect(message(field.parse(10, context))).toBe('field "chosen" must be an integer class label in [0, 10): got 10');
    expect(message(field.parse('7', context))).toBe(
      'field "chosen" must be an integer class label in [0, 10): got "7"',
    );
    expect(message(field.parse(1.5, context))).toContain('got 1.5');
    expect(message(classLabelField().parse(-1, context))).toBe(
      'field "chosen" must be an integer class label >= 0: got -1',
    );
    expect(classLabelField().parse(123456, context)).toEqual({ ok: true, value: 123456 });
  });

  it('validates numClasses', () => {
    expect(() => classLabelField({ numClasses: 0 })).toThrow(InvalidArgumentError);
  });
});

describe('imageField', () => {
  it('resolves relative PNG paths against the JSONL directory and writes them back relative', () => {
    const result = imageField().parse('img/a.png', context);
    expect(result).toEqual({ ok: true, value: { kind: 'file', path: join(directory, 'img', 'a.png') } });
    if (!result.ok) return;
    expect(imageField().serialize(result.value, context)).toBe('img/a.png');
    const other: FieldContext = { ...context, directory: join(directory, 'out') };
    expect(imageField().serialize(result.value, other)).toBe('../img/a.png');
    expect(imageField().parse('/abs/B.PNG', context)).toEqual({
      ok: true,
      value: { kind: 'file', path: '/abs/B.PNG' },
    });
  });

  it('keeps well-formed PNG data URLs verbatim', () => {
    const url = `data:image/png;base64,${PNG_BASE64}`;
    const result = imageField().parse(url, context);
    expect(result).toEqual({ ok: true, value: { kind: 'data-url', url } });
    if (result.ok) expect(imageField().serialize(result.value, context)).toBe(url);
  });

  it('rejects other values with a reason', () => {
    expect(message(imageField().parse('a.jpg', context))).toContain('must be a .png path');
    expect(message(imageField().parse(3, context))).toContain('got 3');
    expect(message(imageField().parse('', context))).toContain('got ""');
    expect(message(imageField().parse('data:image/jpeg;base64,AAAA', context))).toContain('data:image/png;base64,');
    expect(message(imageField().parse('data:image/png;base64,@@@@', context))).toContain('not valid base64');
    expect(message(imageField().parse('data:image/png;base64,AAAAAAAAAAAA', context))).toContain('PNG signature');
  });

  it('checks that files exist only when asked', () => {
    writeFileSync(join(directory, 'here.png'), 'x');
    expect(imageField({ checkExists: true }).parse('here.png', context).ok).toBe(true);
    expect(imageField().parse('missing.png', context).ok).toBe(true);
    expect(message(imageField({ checkExists: true }).parse('missing.png', context))).toContain('no file at');
  });
});

describe('conversationalField', () => {
  const field = conversationalField();

  it('accepts TRL messages and keeps extra message keys', () => {
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Sky colour?', name: 'ann' },
      { role: 'assistant', content: '' },
    ];
    const result = field.parse(messages, context);
    expect(result).toEqual({ ok: true, value: messages });
    if (result.ok) expect(field.serialize(result.value, context)).toEqual(messages);
  });

  it('names the bad message and key', () => {
    expect(message(field.parse([], context))).toBe(
      'field "chosen" must be a non-empty list of {role, content} messages: got []',
    );
    expect(message(field.parse('hi', context))).toContain('got "hi"');
    expect(message(field.parse([{ role: 'user', content: 'a' }, 'b'], context))).toBe(
      'field "chosen[1]" must be a {role, content} object: got "b"',
    );
    expect(message(field.parse([{ role: 'assitant', content: 'a' }], context))).toBe(
      'field "chosen[0].role" must be one of "system", "user", "assistant", "tool": got "assitant"',
    );
    expect(message(field.parse([{ role: 'user' }], context))).toBe(
      'field "chosen[0].content" must be a string: got undefined',
    );
  });

  it('restricts roles when asked and validates the option', () => {
    expect(conversationalField({ roles: ['assistant'] }).parse([{ role: 'user', content: 'a' }], context).ok).toBe(
      false,
    );
    expect(() => conversationalField({ roles: [] })).toThrow(
      'roles must be a non-empty list of non-empty strings: got []',
    );
  });
});

describe('requireFieldCodec', () => {
  it('rejects objects that are not codecs', () => {
    expect(() => requireFieldCodec('schema.prompt', { parse: 1 } as never)).toThrow(
      'schema.prompt must be a FieldCodec ({ expected, parse, serialize })',
    );
  });
});
