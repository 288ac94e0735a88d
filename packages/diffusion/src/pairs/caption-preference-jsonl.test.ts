import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectNoLeak } from '@dpo-ts/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeImageGrid } from '../image-grid.js';
import {
  loadCaptionPreferenceImages,
  loadCaptionPreferenceJsonl,
  writeCaptionPreferenceJsonl,
  type CaptionPreferenceInput,
} from './caption-preference-jsonl.js';

const SHAPE = [4, 4, 3] as const;
/** A 4x4 RGB image whose every value is the byte `byte` mapped to [-1, 1] (exact in 8 bits). */
const flat = (byte: number) => new Float32Array(48).fill(byte / 127.5 - 1);
const RECORDS: CaptionPreferenceInput[] = [
  { caption: 'red apple', image0: flat(200), image1: flat(10), label0: 1, extra: { labeler: 'clip-a' } },
  { caption: 'grinning face', image0: flat(30), image1: flat(240), label0: 0 },
  { caption: 'deer', image0: flat(100), image1: flat(101), label0: 0.5 },
];

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pick-a-pic-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('Pick-a-Pic-style caption preference JSONL', () => {
  it('round-trips through PNG files beside the JSONL, dropping ties on load', async () => {
    const file = join(directory, 'pairs.jsonl');
    expect(await writeCaptionPreferenceJsonl(file, RECORDS, SHAPE)).toBe(3);
    const lines = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines[0]).toEqual({
      caption: 'red apple',
      image_0: 'images/000000-0.png',
      image_1: 'images/000000-1.png',
      label_0: 1,
      labeler: 'clip-a',
    });
    expect(lines[2].label_0).toBe(0.5);
    const records = await loadCaptionPreferenceJsonl(file);
    expect(records.map((r) => r.label0)).toEqual([1, 0, 0.5]);
    expect(records[0]!.image0).toEqual({ kind: 'file', path: join(directory, 'images/000000-0.png') });
    expect(records[0]!.extra).toEqual({ labeler: 'clip-a' });
    const images = await expectNoLeak(() => loadCaptionPreferenceImages(file, SHAPE));
    expect(images.count).toBe(2);
    expect(images.tiesDropped).toBe(1);
    expect(images.captions).toEqual(['red apple', 'grinning face']);
    // label_0 = 1: image 0 is chosen; label_0 = 0: image 1 is chosen. 8-bit values come back exactly.
    expect(images.chosen[0]).toBeCloseTo(200 / 127.5 - 1, 6);
    expect(images.rejected[0]).toBeCloseTo(10 / 127.5 - 1, 6);
    expect(images.chosen[48]).toBeCloseTo(240 / 127.5 - 1, 6);
    expect(images.rejected[48 + 47]).toBeCloseTo(30 / 127.5 - 1, 6);
  });

  it('round-trips with images embedded as data URLs', async () => {
    const file = join(directory, 'embedded.jsonl');
    await writeCaptionPreferenceJsonl(file, RECORDS.slice(0, 2), SHAPE, { images: 'data-url' });
    const first = JSON.parse((await readFile(file, 'utf8')).split('\n')[0]!);
    expect(first.image_0).toMatch(/^data:image\/png;base64,iVBORw0KGgo/);
    const images = await loadCaptionPreferenceImages(file, SHAPE);
    expect(images.count).toBe(2);
    expect(Array.from(images.chosen.subarray(0, 48))).toEqual(Array.from(flat(200)));
  });

  it('names the file and line of a bad record', async () => {
    const file = join(directory, 'bad.jsonl');
    const good = { caption: 'red apple', image_0: 'a.png', image_1: 'b.png', label_0: 1 };
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        { ...good, label_0: 2 },
        /bad\.jsonl:2: field "label_0" must be 1 \(image_0 preferred\), 0 \(image_1 preferred\) or 0\.5 \(tie\): got 2/,
      ],
      [{ ...good, caption: '' }, /bad\.jsonl:2: field "caption" must be a non-empty string: got ""/],
      [{ ...good, image_1: 'b.jpg' }, /bad\.jsonl:2: field "image_1" must be a \.png path/],
      [{ caption: 'x', image_0: 'a.png', label_0: 0 }, /bad\.jsonl:2: missing field "image_1"/],
    ];
    for (const [record, message] of cases) {
      await writeFile(file, `${JSON.stringify(good)}\n${JSON.stringify(record)}\n`);
      await expect(loadCaptionPreferenceJsonl(file)).rejects.toThrow(message);
    }
  });

  it('names the line of a missing or wrongly sized image', async () => {
    const file = join(directory, 'pairs.jsonl');
    await writeFile(
      join(directory, 'small.png'),
      encodeImageGrid({ data: new Float32Array(12), shape: [1, 2, 2, 3] }, { padding: 0 }),
    );
    const lines = [
      { caption: 'a', image_0: 'small.png', image_1: 'small.png', label_0: 0.5 },
      { caption: 'b', image_0: 'small.png', image_1: 'small.png', label_0: 1 },
    ];
    await writeFile(file, lines.map((l) => JSON.stringify(l)).join('\n'));
    await expect(loadCaptionPreferenceImages(file, SHAPE)).rejects.toThrow(
      /pairs\.jsonl:2: field "image_0": image is 2x2, expected 4x4/,
    );
    await writeFile(file, JSON.stringify({ ...lines[1], image_1: 'gone.png' }));
    await expect(loadCaptionPreferenceImages(file, [2, 2, 3])).rejects.toThrow(
      /pairs\.jsonl:1: field "image_1": cannot read .*gone\.png/,
    );
  });

  it('refuses bad records on write, naming the record and field', async () => {
    const file = join(directory, 'out.jsonl');
    await expect(
      writeCaptionPreferenceJsonl(file, [RECORDS[0]!, { ...RECORDS[1]!, label0: 0.7 as never }], SHAPE),
    ).rejects.toThrow(/records\[1\]\.label0 must be 1 \(image_0 preferred\).*got 0\.7/);
    await expect(
      writeCaptionPreferenceJsonl(file, [{ ...RECORDS[0]!, image1: new Float32Array(5) }], SHAPE),
    ).rejects.toThrow(/records\[0\]\.image1 must be a Float32Array of 48 values \(4x4x3\): got 5/);
    await expect(writeCaptionPreferenceJsonl(file, [{ ...RECORDS[0]!, caption: '' }], SHAPE)).rejects.toThrow(
      /records\[0\]\.caption must be a non-empty string/,
    );
    await expect(writeCaptionPreferenceJsonl(file, [{ ...RECORDS[0]!, extra: { label_0: 1 } }], SHAPE)).rejects.toThrow(
      /records\[0\]\.extra must be an object without the field "label_0"/,
    );
  });
});
