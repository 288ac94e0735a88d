import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataFormatError } from '../errors/data-format-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { imageField } from './image-field.js';
import { readImageBytes, resolveImageReadLimits } from './image-file.js';

/** A real 1x1 greyscale-alpha PNG (68 bytes). */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);
const root = mkdtempSync(join(tmpdir(), 'dpo-ts-images-'));
const dataset = join(root, 'dataset');
mkdirSync(join(dataset, 'img'), { recursive: true });
afterAll(() => rmSync(root, { recursive: true, force: true }));
writeFileSync(join(dataset, 'img', 'ok.png'), PNG);
writeFileSync(join(root, 'outside.png'), PNG);

const at = (line: number, field = 'chosen') => ({
  file: join(dataset, 'pairs.jsonl'),
  directory: dataset,
  line,
  field,
});
const file = (name: string) => ({ kind: 'file' as const, path: join(dataset, name) });

async function rejection(promise: Promise<unknown>): Promise<DataFormatError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(DataFormatError);
  return error as DataFormatError;
}

describe('readImageBytes', () => {
  it('reads a regular PNG file, through a symbolic link too', async () => {
    expect(Buffer.from(await readImageBytes(file('img/ok.png'), at(1)))).toEqual(PNG);
    symlinkSync(join(dataset, 'img', 'ok.png'), join(dataset, 'link.png'));
    expect(await readImageBytes(file('link.png'), at(1))).toHaveLength(PNG.length);
  });

  it('names the JSONL file, line and field for a missing image', async () => {
    const error = await rejection(readImageBytes(file('img/none.png'), at(7, 'rejected')));
    expect([error.file, error.line]).toEqual([join(dataset, 'pairs.jsonl'), 7]);
    expect(error.reason).toBe(`field "rejected": image ${join(dataset, 'img/none.png')}: no such file`);
  });

  it('refuses a .png link to /dev/zero, a FIFO and a directory without reading them', async () => {
    symlinkSync('/dev/zero', join(dataset, 'zero.png'));
    expect((await rejection(readImageBytes(file('zero.png'), at(2)))).reason).toMatch(
      /not a regular file \(a character device\)$/,
    );
    execFileSync('mkfifo', [join(dataset, 'fifo.png')]);
    expect((await rejection(readImageBytes(file('fifo.png'), at(3)))).reason).toMatch(/not a regular file \(a FIFO\)$/);
    mkdirSync(join(dataset, 'dir.png'));
    expect((await rejection(readImageBytes(file('dir.png'), at(4)))).reason).toMatch(
      /not a regular file \(a directory\)$/,
    );
  });

  it('caps the size and the decoded dimensions, from the header, before decoding', async () => {
    expect((await rejection(readImageBytes(file('img/ok.png'), at(1), { maxBytes: 67 }))).reason).toMatch(
      /68 bytes, larger than maxBytes \(67 bytes\)$/,
    );
    const huge = Buffer.from(PNG);
    huge.writeUInt32BE(100_000, 16); // claims 100000 x 1 pixels
    writeFileSync(join(dataset, 'huge.png'), huge);
    expect((await rejection(readImageBytes(file('huge.png'), at(5)))).reason).toMatch(
      /100000x1 pixels, over maxDimension \(4096\) or empty$/,
    );
    expect(await readImageBytes(file('huge.png'), at(5), { maxDimension: 100_000 })).toHaveLength(PNG.length);
    writeFileSync(join(dataset, 'text.png'), 'not an image at all, really not');
    expect((await rejection(readImageBytes(file('text.png'), at(6)))).reason).toMatch(
      /not a PNG \(no PNG signature\)$/,
    );
    const inline = { kind: 'data-url' as const, url: `data:image/png;base64,${huge.toString('base64')}` };
    expect((await rejection(readImageBytes(inline, at(9)))).reason).toBe(
      'field "chosen": inline image: 100000x1 pixels, over maxDimension (4096) or empty',
    );
    expect((await rejection(readImageBytes(inline, at(9), { maxBytes: 10 }))).reason).toBe(
      'field "chosen": inline image: larger than maxBytes (10 bytes)',
    );
  });

  it('confines paths to the dataset directory when asked, following symbolic links', async () => {
    symlinkSync(join(root, 'outside.png'), join(dataset, 'escape.png'));
    expect(await readImageBytes(file('escape.png'), at(1))).toHaveLength(PNG.length); // off by default
    const error = await rejection(readImageBytes(file('escape.png'), at(8), { confineToDirectory: true }));
    expect(error.reason).toMatch(/outside the dataset's directory .*\(confineToDirectory is on\)$/);
    expect(await readImageBytes(file('img/ok.png'), at(1), { confineToDirectory: true })).toHaveLength(PNG.length);
    // The field refuses escaping paths on their text, at parse time.
    const context = { file: 'pairs.jsonl', directory: dataset, field: 'chosen' };
    const confined = imageField({ confineToDirectory: true });
    expect(confined.parse('img/ok.png', context).ok).toBe(true);
    expect(confined.parse('..foo.png', context).ok).toBe(true);
    for (const outside of ['../outside.png', join(root, 'outside.png')])
      expect(confined.parse(outside, context).ok).toBe(false);
  });

  it('validates the limits, naming the field', () => {
    expect(() => resolveImageReadLimits({ maxBytes: 0 })).toThrow(InvalidArgumentError);
    expect(() => resolveImageReadLimits({ maxDimension: 1.5 }, 'options.imageLimits')).toThrow(
      'options.imageLimits.maxDimension must be an integer >= 1: got 1.5',
    );
  });
});
