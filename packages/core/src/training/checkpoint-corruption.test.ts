import { promises as fs } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DPOTSError } from '../errors/dpo-ts-error.js';
import { AdamWOptimizer } from './adamw-optimizer.js';
import { manifestDigest, sha256Hex, type CheckpointManifest } from './checkpoint-format.js';
import { loadCheckpoint, loadLatestCheckpoint, saveCheckpoint } from './checkpoint.js';
import { resumeFromCheckpoint } from './checkpoint-resume.js';
import { Rng } from './rng.js';

/*
 * The corruption suite of issue 11: a run directory with two checkpoints (step 1, step 2, the
 * latest); each case damages step 2 (or `latest`) and must be refused when step 2 is loaded
 * directly, naming the file and what is wrong, and recovered from when the directory is
 * loaded: the newest valid checkpoint (step 1) with a warning naming the damaged one.
 */

const scratch = mkdtempSync(path.join(tmpdir(), 'dpo-ts-corruption-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const pristine = path.join(scratch, 'pristine');
let counter = 0;

beforeAll(async () => {
  const variables = new Map([
    [
      'dense.kernel',
      tf.variable(
        tf.tensor([
          [1.5, -2],
          [0.25, 1e-8],
          [3, Math.PI],
        ]),
      ),
    ],
    ['dense.bias', tf.variable(tf.tensor([0.5, -0.5]))],
  ]);
  const optimizer = new AdamWOptimizer(variables);
  for (const step of [1, 2]) {
    const grads = new Map([...variables].map(([name, v]) => [name, tf.mul(tf.onesLike(v), step)] as const));
    optimizer.applyGradients(grads, 0.1);
    tf.dispose([...grads.values()]);
    await saveCheckpoint(pristine, {
      step,
      weights: variables,
      optimizer: await optimizer.state(),
      rng: { data: new Rng(step).state() },
      metadata: { trainer: 'dpo' },
    });
  }
  optimizer.dispose();
  variables.forEach((v) => {
    v.dispose();
  });
});

/** A fresh copy of the two-checkpoint run: [dir, step-2 directory]. */
async function copyRun(): Promise<[string, string]> {
  const dir = path.join(scratch, `case-${counter++}`);
  await fs.cp(pristine, dir, { recursive: true });
  return [dir, path.join(dir, 'step-000002')];
}

/** Rewrites step 2's manifest with `edit`, recomputing its own SHA-256 unless `resign` is false. */
async function editManifest(
  stepDir: string,
  // biome-ignore lint/suspicious/noExplicitAny: the tests corrupt arbitrary manifest fields, typed or not
  edit: (manifest: Record<string, any>) => void,
  resign = true,
): Promise<void> {
  const file = path.join(stepDir, 'manifest.json');
  // biome-ignore lint/suspicious/noExplicitAny: the tests corrupt arbitrary manifest fields, typed or not
  const manifest = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, any>;
  edit(manifest);
  if (resign && manifest.manifestSha256 !== undefined) manifest.manifestSha256 = manifestDigest(manifest);
  await fs.writeFile(file, JSON.stringify(manifest, null, 2));
}

/** Rewrites step 2's tensors.bin with `edit` and re-signs both checksums (a "valid" bad checkpoint). */
async function editTensorsResigned(
  stepDir: string,
  edit: (bytes: Buffer, manifest: CheckpointManifest) => void,
): Promise<void> {
  const file = path.join(stepDir, 'tensors.bin');
  const bytes = await fs.readFile(file);
  const manifest = JSON.parse(await fs.readFile(path.join(stepDir, 'manifest.json'), 'utf8')) as CheckpointManifest;
  edit(bytes, manifest);
  await fs.writeFile(file, bytes);
  await editManifest(stepDir, (m) => {
    m.files['tensors.bin'].sha256 = sha256Hex(bytes);
  });
}

const offsetOf = (manifest: CheckpointManifest, name: string): number =>
  manifest.tensors.find((t) => t.name === name)!.offset;

interface Case {
  readonly name: string;
  readonly damage: (dir: string, stepDir: string) => Promise<void>;
  /** What the refusal of step 2 must say. */
  readonly refusal: string | RegExp;
}

const bitFlipCases = (file: 'tensors.bin' | 'manifest.json', count: number, seed: number): Case[] =>
  Array.from({ length: count }, (_, i) => ({
    name: `bit flip ${i} in ${file}`,
    refusal: file === 'tensors.bin' ? /tensors\.bin: checksum mismatch/ : /manifest\.json: /,
    damage: async (_dir: string, stepDir: string) => {
      const target = path.join(stepDir, file);
      const bytes = await fs.readFile(target);
      const rng = new Rng(mixSeed(seed, i));
      const position = rng.int(bytes.length);
      bytes[position]! ^= 1 << rng.int(8);
      await fs.writeFile(target, bytes);
    },
  }));
const mixSeed = (seed: number, i: number): number => seed * 1000 + i;

const CASES: Case[] = [
  ...bitFlipCases('tensors.bin', 24, 1),
  ...bitFlipCases('manifest.json', 24, 2),
  ...[0, 1, 50, 95].map((length) => ({
    name: `tensors.bin truncated to ${length} bytes`,
    refusal: `truncated: manifest expects 96 bytes, file has ${length}`,
    damage: async (_dir: string, stepDir: string) => fs.truncate(path.join(stepDir, 'tensors.bin'), length),
  })),
  {
    name: 'tensors.bin with a byte appended',
    refusal: 'longer than its manifest says',
    damage: async (_d, s) => fs.appendFile(path.join(s, 'tensors.bin'), Buffer.from([0])),
  },
  ...[0, 10, 200].map((length) => ({
    name: `manifest.json truncated to ${length} bytes`,
    refusal: /manifest\.json: not valid JSON/,
    damage: async (_dir: string, stepDir: string) => fs.truncate(path.join(stepDir, 'manifest.json'), length),
  })),
  {
    name: 'manifest step edited',
    refusal: /manifest\.json: checksum mismatch/,
    damage: async (_d, s) =>
      editManifest(
        s,
        (m) => {
          m.step = 7;
        },
        false,
      ),
  },
  {
    name: 'manifest tensor offset edited',
    refusal: /checksum mismatch/,
    damage: async (_d, s) =>
      editManifest(
        s,
        (m) => {
          m.tensors[1].offset = 4;
        },
        false,
      ),
  },
  {
    name: 'manifest tensor offset edited and re-signed',
    refusal: 'offset must be 24 (tensors lie back to back in manifest order): got 4',
    damage: async (_d, s) =>
      editManifest(s, (m) => {
        m.tensors[1].offset = 4;
      }),
  },
  {
    name: 'manifest shape edited and re-signed',
    refusal: 'byteLength must be 16',
    damage: async (_d, s) =>
      editManifest(s, (m) => {
        m.tensors[1].shape = [4];
      }),
  },
  {
    name: 'moment shape unlike its weight, re-signed',
    refusal: 'tensor "optimizer/m/dense.kernel" must have the shape of "weights/dense.kernel" [3,2]: got [2,3]',
    damage: async (_d, s) =>
      editManifest(s, (m) => {
        m.tensors[2].shape = [2, 3];
      }),
  },
  {
    name: 'variable step beyond the optimizer step, re-signed',
    refusal: 'optimizer.variableSteps["dense.bias"] must be an integer >= 0 and <= optimizer.step 2: got 3',
    damage: async (_d, s) =>
      editManifest(s, (m) => {
        m.optimizer.variableSteps['dense.bias'] = 3;
      }),
  },
  {
    name: 'moments without optimizer state (optimizer: null), re-signed',
    refusal: 'tensor "optimizer/m/dense.kernel" belongs to no entry of optimizer.variableSteps',
    damage: async (_d, s) =>
      editManifest(s, (m) => {
        m.optimizer = null;
      }),
  },
  {
    name: 'checksum field removed',
    refusal: 'field "manifestSha256" must be a SHA-256 in hex: got undefined',
    damage: async (_d, s) => editManifest(s, (m) => void delete m.manifestSha256, false),
  },
  {
    name: 'tensors.bin checksum edited, manifest re-signed',
    refusal: /tensors\.bin: checksum mismatch/,
    damage: async (_d, s) =>
      editManifest(s, (m) => {
        m.files['tensors.bin'].sha256 = '0'.repeat(64);
      }),
  },
  {
    name: 'unsupported version',
    refusal: 'checkpoint format version 9 is not supported',
    damage: async (_d, s) =>
      editManifest(s, (m) => {
        m.version = 9;
      }),
  },
  {
    name: 'NaN weight, re-signed',
    refusal:
      /tensor "weights\/dense.bias" must be finite: got NaN at step 2 \(element 1 is NaN; in checkpoint .*step-000002\)/,
    damage: async (_d, s) =>
      editTensorsResigned(s, (b, m) => b.writeFloatLE(NaN, offsetOf(m, 'weights/dense.bias') + 4)),
  },
  {
    name: 'Infinity in a first moment, re-signed',
    refusal: 'tensor "optimizer/m/dense.bias" must be finite: got Infinity',
    damage: async (_d, s) =>
      editTensorsResigned(s, (b, m) => b.writeFloatLE(Infinity, offsetOf(m, 'optimizer/m/dense.bias'))),
  },
  {
    name: 'sign bit flipped in a second moment, re-signed',
    refusal:
      /tensor "optimizer\/v\/dense.kernel" must be finite: got -[0-9.e-]+ at step 2 \(element 0 is a negative value/,
    damage: async (_d, s) =>
      editTensorsResigned(s, (b, m) => {
        b[offsetOf(m, 'optimizer/v/dense.kernel') + 3]! ^= 0x80;
      }),
  },
  {
    name: 'tensors.bin missing',
    refusal: /checkpoint file not found: .*step-000002\/tensors\.bin/,
    damage: async (_d, s) => fs.rm(path.join(s, 'tensors.bin')),
  },
  {
    name: 'tensors.bin is a directory',
    refusal: /tensors\.bin must be a file: got a directory/,
    damage: async (_d, s) => fs.rm(path.join(s, 'tensors.bin')).then(() => fs.mkdir(path.join(s, 'tensors.bin'))),
  },
  {
    name: 'manifest.json missing',
    refusal: /checkpoint file not found: .*step-000002\/manifest\.json/,
    damage: async (_d, s) => fs.rm(path.join(s, 'manifest.json')),
  },
];

describe('checkpoint corruption suite', () => {
  it('refuses every damaged checkpoint with a message naming it, and falls back to the newest valid one with a warning', async () => {
    let refused = 0;
    let recovered = 0;
    for (const testCase of CASES) {
      const [dir, stepDir] = await copyRun();
      await testCase.damage(dir, stepDir);
      const direct = loadCheckpoint(stepDir);
      await expect(direct, testCase.name).rejects.toThrow(DPOTSError);
      await expect(loadCheckpoint(stepDir), testCase.name).rejects.toThrow(testCase.refusal);
      await expect(loadCheckpoint(stepDir), testCase.name).rejects.toThrow(stepDir);
      refused += 1;
      const loaded = await loadLatestCheckpoint(dir);
      expect(loaded?.step, testCase.name).toBe(1);
      expect(loaded!.warnings.join('\n'), testCase.name).toContain('step-000002');
      expect(loaded!.warnings.join('\n'), testCase.name).toContain(`using ${path.join(dir, 'step-000001')}`);
      recovered += 1;
    }
    expect({ tried: CASES.length, refused, recovered }).toEqual({ tried: 72, refused: 72, recovered: 72 });
  });

  it('recovers from a corrupt or dangling `latest`, and refuses a `latest` directory', async () => {
    for (const content of ['', 'garbage\n', 'step-000099\n', '../../etc\n', '\u0000\u0001']) {
      const [dir] = await copyRun();
      await fs.writeFile(path.join(dir, 'latest'), content);
      const loaded = await loadLatestCheckpoint(dir);
      expect(loaded!.step, JSON.stringify(content)).toBe(2); // the highest valid step
      expect(loaded!.warnings.join('\n')).toMatch(
        /latest (is corrupt|names step-000099, which holds no complete checkpoint)/,
      );
    }
    const [dir] = await copyRun();
    await fs.rm(path.join(dir, 'latest'));
    await fs.mkdir(path.join(dir, 'latest'));
    await expect(loadLatestCheckpoint(dir)).rejects.toThrow(
      `${path.join(dir, 'latest')} must be a file naming the newest checkpoint directory`,
    );
  });

  it('refuses a run whose every checkpoint is damaged, listing each problem', async () => {
    const [dir, stepDir] = await copyRun();
    await fs.truncate(path.join(stepDir, 'tensors.bin'), 3);
    await fs.truncate(path.join(dir, 'step-000001', 'tensors.bin'), 5);
    await expect(loadLatestCheckpoint(dir)).rejects.toThrow(
      new RegExp(`no usable checkpoint in ${dir}: .*file has 3; .*file has 5`),
    );
  });

  it('refuses a checkpoint of another trainer, or without optimizer state, naming both', async () => {
    const [dir, stepDir] = await copyRun();
    const restored: string[] = [];
    const restore = (c: { path: string }) => void restored.push(c.path);
    await expect(resumeFromCheckpoint(dir, 'auto', { trainer: 'sft' }, restore, () => {})).rejects.toThrow(
      `checkpoint ${stepDir} was written by the "dpo" trainer; this is the "sft" trainer, which cannot resume it`,
    );
    await editManifest(stepDir, (m) => {
      m.optimizer = null;
      m.tensors = m.tensors.filter((t: { name: string }) => t.name.startsWith('weights/'));
      m.tensorsByteLength = 32;
    });
    await fs.truncate(path.join(stepDir, 'tensors.bin'), 32);
    await editTensorsResigned(stepDir, () => {});
    await expect(
      resumeFromCheckpoint(dir, 'auto', { trainer: 'dpo', requireOptimizerState: true }, restore, () => {}),
    ).rejects.toThrow(`checkpoint ${stepDir} has no optimizer state (manifest "optimizer": null)`);
    await editManifest(stepDir, (m) => {
      m.metadata = { step: 2 };
    });
    await expect(resumeFromCheckpoint(dir, 'auto', { trainer: 'dpo' }, restore, () => {})).rejects.toThrow(
      'was written by an unknown trainer (metadata.trainer is null); this is the "dpo" trainer',
    );
    expect(restored).toEqual([]);
    const ok = await resumeFromCheckpoint(
      path.join(scratch, 'pristine'),
      'auto',
      { trainer: 'dpo', requireOptimizerState: true },
      restore,
      () => {},
    );
    expect(ok.step).toBe(2);
  });

  it('loads a format-1 checkpoint (no checksums) with a warning that it could not be verified', async () => {
    const [, stepDir] = await copyRun();
    await editManifest(stepDir, (m) => {
      m.version = 1;
      delete m.files;
      delete m.manifestSha256;
    });
    const loaded = await loadCheckpoint(stepDir);
    expect(loaded.step).toBe(2);
    expect(loaded.warnings).toEqual([
      `checkpoint ${stepDir} is format version 1, without checksums: its content could not be verified (structure and values were checked)`,
    ]);
  });
});
