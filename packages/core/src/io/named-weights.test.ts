import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { DataFormatError } from '../errors/data-format-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { expectNoLeak } from '../testing/expect-no-leak.js';
import { assignNamedWeights, loadNamedWeights, saveNamedWeights } from './named-weights.js';
import { decodeNamedWeights, encodeNamedWeights } from './named-weights-format.js';

const root = await mkdtemp(join(tmpdir(), 'dpo-ts-named-weights-'));
afterAll(() => rm(root, { recursive: true, force: true }));

/** Two small weights: a [2, 3] kernel and a [3] bias with exactly representable values. */
function weights(): Map<string, tf.Tensor> {
  return new Map<string, tf.Tensor>([
    [
      'dense.kernel',
      tf.tensor2d([
        [0.5, -1.25, 2],
        [3, -0.125, 1e-3],
      ]),
    ],
    ['dense.bias', tf.tensor1d([1, 2, -3])],
  ]);
}

describe('saveNamedWeights / loadNamedWeights', () => {
  it('writes the manifest, little-endian float32 values and the extra files, and reads them back', async () => {
    const dir = join(root, 'model');
    const tensors = weights();
    await expectNoLeak(() => saveNamedWeights(dir, tensors, { 'config.json': '{"seed":1}\n' }));
    expect((await readdir(dir)).sort()).toEqual(['config.json', 'manifest.json', 'weights.bin']);
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest).toEqual({
      format: 'dpo-ts.named-weights',
      version: 1,
      dtype: 'float32',
      byteOrder: 'little-endian',
      byteLength: 36,
      weights: [
        { name: 'dense.kernel', shape: [2, 3], offset: 0, byteLength: 24 },
        { name: 'dense.bias', shape: [3], offset: 24, byteLength: 12 },
      ],
    });
    const bytes = await readFile(join(dir, 'weights.bin'));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(Array.from({ length: 9 }, (_, i) => view.getFloat32(i * 4, true))).toEqual([
      0.5,
      -1.25,
      2,
      3,
      -0.125,
      Math.fround(1e-3),
      1,
      2,
      -3,
    ]);

    const loaded = await expectNoLeak(() => loadNamedWeights(dir));
    expect([...loaded.weights.keys()]).toEqual(['dense.kernel', 'dense.bias']);
    expect(loaded.weights.get('dense.kernel')).toEqual({
      dtype: 'float32',
      shape: [2, 3],
      values: new Float32Array([0.5, -1.25, 2, 3, -0.125, 1e-3]),
    });
    expect(loaded.manifest.format).toBe('dpo-ts.named-weights');
    tf.dispose([...tensors.values()]);
  });

  it('uses other file names for a second set of weights in the same directory', async () => {
    const dir = join(root, 'two');
    const tensors = weights();
    await saveNamedWeights(dir, tensors, {}, { manifest: 'head.json', weights: 'head.bin' });
    expect((await readdir(dir)).sort()).toEqual(['head.bin', 'head.json']);
    expect(
      (await loadNamedWeights(dir, { manifest: 'head.json', weights: 'head.bin' })).weights.get('dense.bias')!.values,
    ).toEqual(new Float32Array([1, 2, -3]));
    tf.dispose([...tensors.values()]);
  });

  it('reads the earlier denoiser layout (entries with a value count, no format field)', async () => {
    const dir = join(root, 'legacy');
    const bytes = new Uint8Array(20);
    const view = new DataView(bytes.buffer);
    [7, 8, 9, 10, -1].forEach((v, i) => {
      view.setFloat32(i * 4, v, true);
    });
    await saveNamedWeights(dir, new Map()); // creates the directory
    await writeFile(join(dir, 'weights.bin'), bytes);
    await writeFile(
      join(dir, 'manifest.json'),
      JSON.stringify({
        byteLength: 20,
        weights: [
          { name: 'b', shape: [1], dtype: 'float32', offset: 16, length: 1 },
          { name: 'a', shape: [2, 2], dtype: 'float32', offset: 0, length: 4 },
        ],
      }),
    );
    const { weights: loaded } = await loadNamedWeights(dir);
    expect(loaded.get('a')).toEqual({ dtype: 'float32', shape: [2, 2], values: new Float32Array([7, 8, 9, 10]) });
    expect(loaded.get('b')!.values).toEqual(new Float32Array([-1]));
  });

  it('names the file and the weight when the manifest and the data do not fit', async () => {
    const dir = join(root, 'bad');
    const tensors = weights();
    await saveNamedWeights(dir, tensors);
    tf.dispose([...tensors.values()]);
    const manifestPath = join(dir, 'manifest.json');
    const good = JSON.parse(await readFile(manifestPath, 'utf8'));
    const expectFailure = async (manifest: unknown, message: string): Promise<void> => {
      await writeFile(manifestPath, JSON.stringify(manifest));
      await expect(loadNamedWeights(dir)).rejects.toThrow(DataFormatError);
      await expect(loadNamedWeights(dir)).rejects.toThrow(message);
    };
    await expectFailure(
      { ...good, format: 'other' },
      `${manifestPath}: field "format" must be "dpo-ts.named-weights": got "other"`,
    );
    await expectFailure({ ...good, version: 2 }, 'must be version 1');
    await expectFailure(
      { ...good, weights: [{ ...good.weights[0], shape: [3, 3] }, good.weights[1]] },
      `${manifestPath}: weight "dense.kernel" has shape [3, 3], which needs 36 bytes: got byteLength 24`,
    );
    await expectFailure(
      { ...good, weights: [good.weights[1], good.weights[0]] },
      'weight "dense.bias" must start at byte 0: got offset 24',
    );
    await expectFailure(
      { ...good, byteLength: 40 },
      `${join(dir, 'weights.bin')}: has 36 bytes, manifest.json says 40`,
    );
    await writeFile(manifestPath, '{ not json');
    await expect(loadNamedWeights(dir)).rejects.toThrow(`${manifestPath}: not valid JSON`);
  });
});

describe('saveNamedWeights with { storage: "float16" }', () => {
  it('stores float32 weights as hand-checked little-endian halves and reads them back as float32', async () => {
    const dir = join(root, 'half');
    const tensors = weights();
    await expectNoLeak(() => saveNamedWeights(dir, tensors, {}, { storage: 'float16' }));
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest).toEqual({
      format: 'dpo-ts.named-weights',
      version: 1,
      dtype: 'float32',
      byteOrder: 'little-endian',
      byteLength: 18,
      weights: [
        { name: 'dense.kernel', shape: [2, 3], offset: 0, byteLength: 12, storage: 'float16' },
        { name: 'dense.bias', shape: [3], offset: 12, byteLength: 6, storage: 'float16' },
      ],
    });
    const bytes = await readFile(join(dir, 'weights.bin'));
    const halves = Array.from({ length: 9 }, (_, i) => bytes[2 * i]! | (bytes[2 * i + 1]! << 8));
    // 0.5, -1.25, 2, 3, -0.125; 1e-3 = 1.024 * 2^-10: exponent 5, mantissa 24.576 -> 25 (0x1419); 1, 2, -3.
    expect(halves).toEqual([0x3800, 0xbd00, 0x4000, 0x4200, 0xb000, 0x1419, 0x3c00, 0x4000, 0xc200]);
    const loaded = await loadNamedWeights(dir);
    expect(loaded.weights.get('dense.kernel')).toEqual({
      dtype: 'float32',
      shape: [2, 3],
      values: new Float32Array([0.5, -1.25, 2, 3, -0.125, 1049 * 2 ** -20]),
    });
    expect(loaded.weights.get('dense.bias')!.values).toEqual(new Float32Array([1, 2, -3]));
    tf.dispose([...tensors.values()]);
  });

  it("writes the same bytes as before with storage 'float32', and keeps int32 weights as they are", async () => {
    const tensors = weights();
    const plain = await encodeNamedWeights(tensors);
    const explicit = await encodeNamedWeights(tensors, { storage: 'float32' });
    expect(explicit.manifest).toEqual(plain.manifest);
    expect(explicit.data).toEqual(plain.data);
    const counts = tf.tensor1d([3, -7], 'int32');
    const mixed = await encodeNamedWeights(new Map([['counts', counts], ...tensors]), { storage: 'float16' });
    expect(mixed.manifest.weights.map((entry) => [entry.name, entry.offset, entry.byteLength, entry.storage])).toEqual([
      ['counts', 0, 8, undefined],
      ['dense.kernel', 8, 12, 'float16'],
      ['dense.bias', 20, 6, 'float16'],
    ]);
    expect(Array.from(new Int32Array(mixed.data.slice(0, 8).buffer))).toEqual([3, -7]);
    tf.dispose([counts, ...tensors.values()]);
  });

  it('rejects a value float16 cannot hold, naming the weight and the value, and writes nothing', async () => {
    const dir = join(root, 'too-large');
    const tensors = new Map([['big', tf.tensor1d([1, -70000])]]);
    await expect(saveNamedWeights(dir, tensors, {}, { storage: 'float16' })).rejects.toThrow(InvalidArgumentError);
    await expect(saveNamedWeights(dir, tensors, {}, { storage: 'float16' })).rejects.toThrow(
      'weights["big"][1] must be a finite number of magnitude <= 65504 to be stored as float16: got -70000',
    );
    await expect(readdir(dir)).rejects.toThrow(/ENOENT/);
    tf.dispose([...tensors.values()]);
  });

  it('fails clearly for a reader that ignores "storage" and for an unknown storage', async () => {
    const tensors = weights();
    const { manifest, data } = await encodeNamedWeights(tensors, { storage: 'float16' });
    tf.dispose([...tensors.values()]);
    const source = { manifest: 'm/manifest.json', weights: 'm/weights.bin' };
    const withStorage = (storage: unknown) => ({
      ...manifest,
      weights: manifest.weights.map((entry) => ({ ...entry, storage })),
    });
    // What a reader without the field sees: float32 sizes that do not match.
    expect(() => decodeNamedWeights(withStorage(undefined), data, source)).toThrow(
      'm/manifest.json: weight "dense.kernel" has shape [2, 3], which needs 24 bytes: got byteLength 12',
    );
    expect(() => decodeNamedWeights(withStorage('bfloat16'), data, source)).toThrow(
      'weight "dense.kernel" must have storage "float16" or none (float32): got "bfloat16"',
    );
  });
});

describe('assignNamedWeights', () => {
  it('hands over tensors and disposes them afterwards, also when the assignment throws', async () => {
    const data = new Map([['w', { dtype: 'float32' as const, shape: [2], values: new Float32Array([4, 5]) }]]);
    const target = tf.variable(tf.zeros([2]), true, `assign-named-weights-${Math.random()}`);
    await expectNoLeak(() =>
      assignNamedWeights(data, (tensors) => tf.tidy(() => target.assign(tensors.get('w')!.clone()))),
    );
    expect(Array.from(await target.data())).toEqual([4, 5]);
    await expectNoLeak(() => {
      expect(() =>
        assignNamedWeights(data, () => {
          throw new Error('shape mismatch');
        }),
      ).toThrow('shape mismatch');
    });
    target.dispose();
  });
});
