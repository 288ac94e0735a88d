import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import {
  DEFAULT_OPTIMIZATION_CONFIG,
  definedFields,
  OPTIMIZATION_CONFIG_FIELDS,
  resolveOptimizationConfig,
} from './optimization-config.js';

describe('resolveOptimizationConfig', () => {
  it("fills transformers' defaults, then the trainer's, then the user's", () => {
    expect(resolveOptimizationConfig({ totalSteps: 3 })).toEqual({
      totalSteps: 3,
      learningRate: 5e-5,
      lrSchedule: 'linear',
      warmupSteps: 0,
      warmupRatio: 0,
      weightDecay: 0,
      adamBeta1: 0.9,
      adamBeta2: 0.999,
      adamEpsilon: 1e-8,
      maxGradNorm: 1,
    });
    const dpo = resolveOptimizationConfig({ totalSteps: 3 }, { learningRate: 1e-6 }); // TRL's DPOConfig
    expect(dpo.learningRate).toBe(1e-6);
    const user = resolveOptimizationConfig(
      { totalSteps: 3, learningRate: 2e-3, maxGradNorm: undefined },
      { learningRate: 1e-6, maxGradNorm: Infinity },
    );
    expect(user).toMatchObject({ learningRate: 2e-3, maxGradNorm: Infinity }); // undefined keeps the trainer's default
    expect(Object.isFrozen(user)).toBe(true);
    expect(Object.isFrozen(DEFAULT_OPTIMIZATION_CONFIG)).toBe(true);
  });

  it('ignores other fields and lists every field it owns', () => {
    const resolved = resolveOptimizationConfig({ totalSteps: 1, beta: 0.1 } as never);
    expect(Object.keys(resolved).sort()).toEqual([...OPTIMIZATION_CONFIG_FIELDS].sort());
  });

  it('names the field with its path, the expectation and the value', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ totalSteps: 0 }, 'config.totalSteps must be an integer >= 1: got 0'],
      [{ learningRate: -1 }, 'config.learningRate must be a finite number >= 0 and <= 1000: got -1'],
      // Finite as a double, Infinity as float32: the probe that saved 4,528 NaN weights (issue 11).
      [{ learningRate: 1e39 }, 'config.learningRate must be a finite number >= 0 and <= 1000: got 1e+39'],
      [{ learningRate: 1e4 }, 'config.learningRate must be a finite number >= 0 and <= 1000: got 10000'],
      [{ weightDecay: 1e39 }, 'config.weightDecay must be a finite number >= 0 and <= 1000: got 1e+39'],
      [
        { adamEpsilon: 1e-40 },
        'config.adamEpsilon must be 0 or a number representable as a normal float32 (magnitude >= 1.1754943508222875e-38): got 1e-40',
      ],
      [
        { maxGradNorm: 1e39 },
        'config.maxGradNorm must be a number representable as float32 (magnitude <= 3.4028234663852886e+38): got 1e+39',
      ],
      [
        { lrSchedule: 'step' },
        'config.lrSchedule must be one of "constant", "constant_with_warmup", "linear", "cosine": got "step"',
      ],
      [{ warmupRatio: 1.5 }, 'config.warmupRatio must be a finite number >= 0 and <= 1: got 1.5'],
      [{ adamBeta2: 1 }, 'config.adamBeta2 must be a finite number >= 0 and < 1: got 1'],
      [{ adamEpsilon: 0 }, 'config.adamEpsilon must be a finite number > 0 and <= 1: got 0'],
      [{ maxGradNorm: 0 }, 'config.maxGradNorm must be a finite number > 0: got 0'],
    ];
    for (const [fields, message] of cases) {
      expect(() => resolveOptimizationConfig({ totalSteps: 1, ...fields } as never)).toThrow(InvalidArgumentError);
      expect(() => resolveOptimizationConfig({ totalSteps: 1, ...fields } as never)).toThrow(message);
    }
    expect(() => resolveOptimizationConfig({ totalSteps: 1, learningRate: -1 }, {}, 'options.config')).toThrow(
      'options.config.learningRate',
    );
    expect(() => resolveOptimizationConfig(null as never)).toThrow('config must be an object: got null');
  });

  it('definedFields drops undefined values only', () => {
    expect(definedFields({ a: 1, b: undefined, c: 0, d: null })).toEqual({ a: 1, c: 0, d: null });
  });
});
