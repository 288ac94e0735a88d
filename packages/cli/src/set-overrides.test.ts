import { InvalidArgumentError } from '@dpo-ts/core';
import { describe, expect, it } from 'vitest';
import { applySetOverrides, parseSetArgument } from './set-overrides.js';

describe('--set', () => {
  it('parses dotted keys and JSON values, keeping non-JSON text as a string', () => {
    expect(parseSetArgument('training.learningRate=1e-5')).toEqual({ path: ['training', 'learningRate'], value: 1e-5 });
    expect(parseSetArgument('training.precomputeRefLogProbs=true').value).toBe(true);
    expect(parseSetArgument('training.lossType=["sigmoid","sft"]').value).toEqual(['sigmoid', 'sft']);
    expect(parseSetArgument('data.train=my pairs.jsonl').value).toBe('my pairs.jsonl');
    expect(parseSetArgument('out="runs/x"').value).toBe('runs/x');
    expect(parseSetArgument('a=b=c')).toEqual({ path: ['a'], value: 'b=c' });
    expect(parseSetArgument('out=').value).toBe('');
  });

  it('refuses a missing = or an empty segment, naming --set', () => {
    expect(() => parseSetArgument('training.beta')).toThrow(InvalidArgumentError);
    expect(() => parseSetArgument('training.beta')).toThrow('--set must be key=value');
    expect(() => parseSetArgument('=1')).toThrow('--set must be key=value');
    expect(() => parseSetArgument('training..beta=1')).toThrow(
      '--set must be a key of non-empty dotted segments (training.learningRate): got "training..beta"',
    );
  });

  it('applies overrides in order without touching the input, creating objects', () => {
    const config = { training: { beta: 0.1 }, out: 'a' };
    const result = applySetOverrides(config, [
      parseSetArgument('training.beta=0.5'),
      parseSetArgument('model.from=base'),
      parseSetArgument('out=b'),
      parseSetArgument('out=c'),
    ]);
    expect(result).toEqual({ training: { beta: 0.5 }, model: { from: 'base' }, out: 'c' });
    expect(config).toEqual({ training: { beta: 0.1 }, out: 'a' });
  });

  it('refuses a path through a non-object', () => {
    expect(() => applySetOverrides({ training: { beta: 0.1 } }, [parseSetArgument('training.beta.x=1')])).toThrow(
      '--set training.beta.x must be a path through objects (training.beta is not an object): got 0.1',
    );
  });
});
