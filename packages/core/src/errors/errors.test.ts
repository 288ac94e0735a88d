import { describe, expect, it } from 'vitest';
import {
  DataFormatError,
  DPOTSError,
  InvalidArgumentError,
  NonFiniteError,
  ShapeMismatchError,
  assertShape,
  describeValue,
  requireInteger,
  requireNumber,
  requireOneOf,
} from './index.js';

describe('errors', () => {
  it('InvalidArgumentError names the argument, the expectation and the value', () => {
    const error = new InvalidArgumentError('beta', 'a finite number >= 0', -1);
    expect(error).toBeInstanceOf(DPOTSError);
    expect(error.name).toBe('InvalidArgumentError');
    expect(error.message).toBe('beta must be a finite number >= 0: got -1');
  });

  it('ShapeMismatchError and assertShape', () => {
    expect(() => assertShape('chosenLogRatios', [3], [4])).toThrow('chosenLogRatios must have shape [4]: got [3]');
    expect(() => assertShape('x', [2, 7], [2, null])).not.toThrow();
    expect(() => assertShape('x', [2, 7, 1], [2, null])).toThrow(ShapeMismatchError);
  });

  it('DataFormatError carries file and line', () => {
    const error = new DataFormatError('pairs.jsonl', 17, 'field "chosen" must be a string: got 3');
    expect(error.message).toBe('pairs.jsonl:17: field "chosen" must be a string: got 3');
    expect(new DataFormatError('empty.jsonl', 0, 'file is empty').message).toBe('empty.jsonl: file is empty');
  });

  it('NonFiniteError names step and quantity', () => {
    expect(new NonFiniteError('loss', 12, NaN).message).toBe('loss must be finite: got NaN at step 12');
  });

  it('validators accept good values and reject bad ones with clear messages', () => {
    expect(requireNumber('beta', 0.1, { min: 0 })).toBe(0.1);
    expect(() => requireNumber('beta', NaN, { min: 0 })).toThrow('beta must be a finite number >= 0: got NaN');
    expect(() => requireNumber('labelSmoothing', 0.5, { min: 0, max: 0.5, exclusiveMax: true })).toThrow(
      'labelSmoothing must be a finite number >= 0 and < 0.5: got 0.5',
    );
    expect(() => requireInteger('batchSize', 2.5, { min: 1 })).toThrow('batchSize must be an integer >= 1: got 2.5');
    expect(() => requireOneOf('reduction', 'avg', ['sum', 'mean'])).toThrow(
      'reduction must be one of "sum", "mean": got "avg"',
    );
  });

  it('describeValue abbreviates long values', () => {
    expect(describeValue('x')).toBe('"x"');
    expect(describeValue({ a: 'b'.repeat(100) }).length).toBe(60);
    expect(describeValue(undefined)).toBe('undefined');
    // What JSON.stringify leaves raw is escaped too: a value from a data file cannot split a log line.
    expect(describeValue('a\u2028b\u007f\u0085')).toBe('"a\\u2028b\\x7f\\x85"');
  });
});
