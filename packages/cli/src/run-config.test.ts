import { resolve } from 'node:path';
import { InvalidArgumentError } from '@dpo-ts/core';
import { describe, expect, it } from 'vitest';
import { parseRunConfig, type TrainKind } from './run-config.js';

const base = { model: { from: 'base' }, data: { train: 'pairs.jsonl' }, training: { totalSteps: 10 } };
const parse = (value: unknown, kind: TrainKind = 'dpo', out?: string) =>
  parseRunConfig(value, { kind, baseDir: '/configs', cwd: '/work', ...(out === undefined ? {} : { out }) });
const errorOf = (value: unknown, kind: TrainKind = 'dpo'): InvalidArgumentError => {
  try {
    parse(value, kind);
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error;
    throw error;
  }
  throw new Error('expected an InvalidArgumentError');
};

describe('parseRunConfig', () => {
  it('resolves data paths against the config folder and out against --out, the config or runs/<kind>', () => {
    expect(parse(base)).toEqual({
      kind: 'dpo',
      model: { from: 'base' },
      data: { train: resolve('/configs/pairs.jsonl') },
      training: { totalSteps: 10 },
      out: resolve('/work/runs/dpo'),
    });
    expect(parse({ ...base, out: 'r', data: { train: '/abs/p.jsonl', eval: 'e.jsonl' } }).data).toEqual({
      train: '/abs/p.jsonl',
      eval: resolve('/configs/e.jsonl'),
    });
    expect(parse({ ...base, out: 'r' }).out).toBe(resolve('/configs/r'));
    expect(parse({ ...base, out: 'r' }, 'dpo', 'cli-out').out).toBe(resolve('/work/cli-out'));
    expect(parse({ ...base, model: { from: 'saved', dir: 'runs/sft/model' } }).model).toEqual({
      from: 'saved',
      dir: resolve('/configs/runs/sft/model'),
    });
    expect(parse({ ...base, model: { from: 'new' } }).model).toEqual({ from: 'new', gpt: {} });
    expect(parse({ ...base, model: { from: 'new' } }, 'diffusion-dpo').model).toEqual({
      from: 'new',
      denoiser: 'mlp',
      config: {},
      schedule: {},
    });
    expect(parse({ ...base, model: { from: 'mnist' } }, 'diffusion-sft').model).toEqual({ from: 'mnist' });
  });

  it('names each bad field, what it accepts and what it got', () => {
    const cases: [unknown, string, TrainKind?][] = [
      [[1], 'config must be a JSON object { "model", "data", "training", "out" }: got'],
      [
        { ...base, modle: {} },
        'modle must be absent (not a field of the run config; known: model, data, training, out)',
      ],
      [
        { ...base, model: undefined },
        'model must be an object { "from": "base" | "saved" | "new", ... }: got undefined',
      ],
      [
        { ...base, model: { from: 'bse' } },
        'model.from must be one of "base", "saved", "new": got "bse" (did you mean "base"?)',
      ],
      [
        { ...base, model: { from: 'saved' } },
        'model.dir must be a non-empty path (relative to the config file): got undefined',
      ],
      [
        { ...base, model: { from: 'saved', dirr: 'x', dir: 'y' } },
        'model.dirr must be absent (not a field of a "saved" model source; known: from, dir): got "x" (did you mean "dir"?)',
      ],
      [{ ...base, model: { from: 'new', gpt: 3 } }, 'model.gpt must be an object: got 3'],
      [
        { ...base, model: { from: 'base' } },
        'model.from must be one of "mnist", "saved", "new": got "base"',
        'diffusion-dpo',
      ],
      [
        { ...base, model: { from: 'new', denoiser: 'mlpp' } },
        'model.denoiser must be one of "mlp", "unet": got "mlpp" (did you mean "mlp"?)',
        'diffusion-dpo',
      ],
      [
        { ...base, data: undefined },
        'data must be an object { "train": "pairs.jsonl", "eval"?: "held-out.jsonl" }: got undefined',
      ],
      [{ ...base, data: {} }, 'data.train must be a non-empty path (relative to the config file): got undefined'],
      [
        { ...base, data: { train: 'a', evl: 'b' } },
        'data.evl must be absent (not a field of data; known: train, eval): got "b" (did you mean "eval"?)',
      ],
      [{ ...base, data: { train: 'a', eval: '' } }, 'data.eval must be a non-empty path'],
      [{ ...base, training: [] }, 'training must be an object: got'],
      [{ ...base, out: 7 }, 'out must be a non-empty path (relative to the config file): got 7'],
    ];
    for (const [value, message, kind] of cases) expect(errorOf(value, kind).message).toContain(message);
    expect(errorOf({ ...base, modle: {} }).message).toContain('(did you mean "model"?)');
    expect(errorOf({ ...base, modle: {} }).argument).toBe('modle');
  });
});
