import { promises as fs } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { DataFormatError } from '../errors/data-format-error.js';
import { DPOTSError } from '../errors/dpo-ts-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { expectNoLeak } from '../testing/expect-no-leak.js';
import { AdamWOptimizer } from './adamw-optimizer.js';
import { CHECKPOINT_FORMAT_VERSION, type CheckpointManifest } from './checkpoint-format.js';
import { findLatestCheckpoint, listCheckpoints, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { restoreWeights } from './restore-weights.js';
import { Rng } from './rng.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'dpo-ts-checkpoint-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let counter = 0;
const freshDir = (): string => path.join(scratch, `run-${counter++}`);

function model(): Map<string, tf.Variable> {
  return new Map([
    [
      'dense.kernel',
      tf.variable(
        tf.tensor([
          [1.5, -2],
          [0.25, 1e-8],
          [3, Math.PI],
        ]),
        true,
      ),
    ],
    ['dense.bias', tf.variable(tf.tensor([0.5, -0.5]), true)],
    ['position', tf.variable(tf.tensor([7], [1], 'int32'), false)],
  ]);
}
const disposeAll = (variables: Map<string, tf.Variable>): void =>
  variables.forEach((v) => {
    v.dispose();
  });

describe('checkpoints', () => {
  it('round-trips weights, optimizer state, RNG states and metadata in the documented layout', async () => {
    const dir = freshDir();
    const variables = model();
    const trainable = new Map([...variables].filter(([name]) => name !== 'position'));
    const optimizer = new AdamWOptimizer(trainable);
    const grads = new Map([...trainable].map(([name, v]) => [name, tf.onesLike(v)] as const));
    optimizer.applyGradients(grads, 0.1);
    tf.dispose([...grads.values()]);
    const rng = new Rng(5);
    rng.normal();
    const state = await optimizer.state();
    const saved = await expectNoLeak(() =>
      saveCheckpoint(dir, {
        step: 123,
        weights: variables,
        optimizer: state,
        rng: { data: rng.state() },
        metadata: { lossType: 'sigmoid', epoch: 1.5 },
      }),
    );
    expect(saved.path).toBe(path.join(dir, 'step-000123'));
    expect((await fs.readdir(dir)).sort()).toEqual(['latest', 'step-000123']);
    expect(await fs.readFile(path.join(dir, 'latest'), 'utf8')).toBe('step-000123\n');
    expect((await fs.readdir(saved.path)).sort()).toEqual(['manifest.json', 'tensors.bin']);

    const manifest = JSON.parse(
      await fs.readFile(path.join(saved.path, 'manifest.json'), 'utf8'),
    ) as CheckpointManifest;
    expect(manifest.version).toBe(CHECKPOINT_FORMAT_VERSION);
    expect(manifest.tensors.map((t) => [t.name, t.dtype, t.shape, t.offset, t.byteLength])).toEqual([
      ['weights/dense.kernel', 'float32', [3, 2], 0, 24],
      ['weights/dense.bias', 'float32', [2], 24, 8],
      ['weights/position', 'int32', [1], 32, 4],
      ['optimizer/m/dense.kernel', 'float32', [3, 2], 36, 24],
      ['optimizer/v/dense.kernel', 'float32', [3, 2], 60, 24],
      ['optimizer/m/dense.bias', 'float32', [2], 84, 8],
      ['optimizer/v/dense.bias', 'float32', [2], 92, 8],
    ]);
    const bytes = await fs.readFile(path.join(saved.path, 'tensors.bin'));
    expect(bytes.byteLength).toBe(100);
    expect(bytes.readFloatLE(4)).toBe(variables.get('dense.kernel')!.dataSync()[1]); // little-endian float32, row-major
    expect(bytes.readInt32LE(32)).toBe(7);

    const loaded = await expectNoLeak(() => loadCheckpoint(dir));
    expect(loaded.path).toBe(saved.path);
    expect(loaded.step).toBe(123);
    expect(loaded.metadata).toEqual({ lossType: 'sigmoid', epoch: 1.5 });
    expect(Rng.fromState(loaded.rng.data!).uniform()).toBe(rng.uniform());
    expect(loaded.optimizer!.step).toBe(1);
    expect(Array.from(loaded.optimizer!.moments.get('dense.kernel')!.v)).toEqual(
      Array.from(state.moments.get('dense.kernel')!.v),
    );

    const other = model();
    await expectNoLeak(() =>
      tf.tidy(() => {
        for (const v of other.values()) v.assign(tf.zerosLike(v));
      }),
    );
    await expectNoLeak(() => restoreWeights(other, loaded.weights));
    for (const [name, v] of variables)
      expect(Array.from(other.get(name)!.dataSync())).toEqual(Array.from(v.dataSync()));
    expect(other.get('position')!.dtype).toBe('int32');
    optimizer.dispose();
    disposeAll(variables);
    disposeAll(other);
  });

  it('keeps the last K checkpoints, replaces a same-step directory, and follows `latest`', async () => {
    const dir = freshDir();
    const variables = model();
    expect(await findLatestCheckpoint(dir)).toBeUndefined();
    for (const step of [10, 20, 30, 40]) {
      const saved = await saveCheckpoint(dir, { step, weights: variables, metadata: { step } }, { keepLast: 2 });
      if (step === 30) expect(saved.removed).toEqual([path.join(dir, 'step-000010')]);
    }
    expect((await listCheckpoints(dir)).map((c) => c.step)).toEqual([30, 40]);
    expect(await findLatestCheckpoint(dir)).toBe(path.join(dir, 'step-000040'));

    await saveCheckpoint(dir, { step: 40, weights: variables, metadata: 'again' });
    expect((await loadCheckpoint(path.join(dir, 'step-000040'))).metadata).toBe('again');
    expect((await fs.readdir(dir)).filter((name) => name.startsWith('.'))).toEqual([]);

    // A `latest` naming a directory that is gone falls back to the highest complete step.
    await fs.writeFile(path.join(dir, 'latest'), 'step-000099\n');
    expect(await findLatestCheckpoint(dir)).toBe(path.join(dir, 'step-000040'));
    disposeAll(variables);
  });

  it('leaves the previous checkpoint and `latest` intact when a save fails midway', async () => {
    const dir = freshDir();
    const variables = model();
    await saveCheckpoint(dir, { step: 1, weights: variables });
    const gone = tf.variable(tf.zeros([2]));
    gone.dispose(); // reading it throws inside saveCheckpoint, after tensors.bin was opened
    await expect(
      saveCheckpoint(dir, {
        step: 2,
        weights: new Map([
          ['a', variables.get('dense.bias')!],
          ['b', gone],
        ]),
      }),
    ).rejects.toThrow();
    expect((await fs.readdir(dir)).sort()).toEqual(['latest', 'step-000001']);
    expect(await findLatestCheckpoint(dir)).toBe(path.join(dir, 'step-000001'));
    disposeAll(variables);
  });

  it('reports missing files, truncation and version mismatches with the path', async () => {
    const dir = freshDir();
    const variables = model();
    const { path: stepDir } = await saveCheckpoint(dir, { step: 5, weights: variables });
    disposeAll(variables);
    const tensors = path.join(stepDir, 'tensors.bin');
    const manifestFile = path.join(stepDir, 'manifest.json');
    const manifestText = await fs.readFile(manifestFile, 'utf8');

    await expect(loadCheckpoint(path.join(scratch, 'nowhere'))).rejects.toThrow(
      `checkpoint directory not found: ${path.join(scratch, 'nowhere')}`,
    );
    await expect(loadCheckpoint(scratch)).rejects.toThrow('no checkpoint found in');

    const bytes = await fs.readFile(tensors);
    await fs.writeFile(tensors, bytes.subarray(0, 20));
    const truncated = loadCheckpoint(stepDir);
    await expect(truncated).rejects.toThrow(DataFormatError);
    await expect(loadCheckpoint(stepDir)).rejects.toThrow(
      `${tensors}: truncated: manifest expects 36 bytes, file has 20`,
    );
    await fs.rm(tensors);
    await expect(loadCheckpoint(stepDir)).rejects.toThrow(`checkpoint file not found: ${tensors}`);
    await fs.writeFile(tensors, bytes);

    await fs.writeFile(manifestFile, manifestText.replace('"version": 2', '"version": 3'));
    await expect(loadCheckpoint(stepDir)).rejects.toThrow(
      `${manifestFile}: checkpoint format version 3 is not supported: this dpo-ts reads versions 1 and 2`,
    );
    await fs.writeFile(manifestFile, '{"format": "dpo-ts-checkpoint", ');
    await expect(loadCheckpoint(stepDir)).rejects.toThrow(`${manifestFile}: not valid JSON`);
    await fs.rm(manifestFile);
    const missing = loadCheckpoint(stepDir);
    await expect(missing).rejects.toThrow(DPOTSError);
    await expect(loadCheckpoint(stepDir)).rejects.toThrow(`checkpoint file not found: ${manifestFile}`);
  });

  it('refuses weights that do not fit the model, naming the variable, before assigning any', async () => {
    const dir = freshDir();
    const variables = model();
    await saveCheckpoint(dir, { step: 1, weights: variables });
    const loaded = await loadCheckpoint(dir);
    const wrongShape = new Map([
      ['dense.bias', tf.variable(tf.tensor([9, 9]))],
      ['dense.kernel', tf.variable(tf.zeros([2, 3]))],
      ['position', tf.variable(tf.tensor([0], [1], 'int32'))],
    ]);
    expect(() => restoreWeights(wrongShape, loaded.weights, { source: loaded.path })).toThrow(ShapeMismatchError);
    expect(() => restoreWeights(wrongShape, loaded.weights)).toThrow(
      'variable "dense.kernel" must have shape [2, 3]: got [3, 2]',
    );
    expect(Array.from(wrongShape.get('dense.bias')!.dataSync())).toEqual([9, 9]); // untouched
    const wrongDtype = new Map([['position', tf.variable(tf.tensor([0], [1], 'float32'))]]);
    expect(() => restoreWeights(wrongDtype, loaded.weights, { strict: false })).toThrow(
      'dtype differs: variable is float32, checkpoint weight is int32',
    );
    expect(() => restoreWeights(wrongDtype, loaded.weights)).toThrow(
      'weights with no variable: "dense.kernel", "dense.bias"',
    );
    const extra = new Map([['head', tf.variable(tf.zeros([1]))]]);
    expect(() => restoreWeights(extra, loaded.weights, { strict: false })).toThrow('no weights for variable "head"');
    [variables, wrongShape, wrongDtype, extra].forEach(disposeAll);
  });
});
