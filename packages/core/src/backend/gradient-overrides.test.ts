import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig } from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { batchMatMulGradConfig } from './batch-mat-mul-grad.js';
import {
  GRADIENT_OVERRIDES,
  activeGradientOverrides,
  gradientOverrideConfig,
  registerGradientOverrides,
  restoreDefaultGradients,
  type GradientOverrideName,
} from './gradient-overrides.js';
import * as backend from './index.js';

afterAll(() => {
  restoreDefaultGradients();
});

describe('gradient override registry', () => {
  it('registers nothing at import (the package stays sideEffects: false)', () => {
    expect(backend.GRADIENT_OVERRIDES).toBe(GRADIENT_OVERRIDES);
    expect(activeGradientOverrides()).toEqual([]);
  });

  it('registers all overrides, or the ones named, and restores what was there before', () => {
    const builtin = tf.getGradient('BatchMatMul'); // tfjs-core's own, registered by the test setup
    expect(registerGradientOverrides(['BatchMatMul'])).toEqual(['BatchMatMul']);
    expect(tf.getGradient('BatchMatMul')).toBe(batchMatMulGradConfig);
    expect(registerGradientOverrides()).toEqual([...GRADIENT_OVERRIDES]);
    expect(registerGradientOverrides()).toEqual([...GRADIENT_OVERRIDES]); // idempotent
    expect(restoreDefaultGradients(['Conv2D'])).toEqual(['BatchMatMul', 'Conv2DBackpropInput', 'GatherV2']);
    expect(restoreDefaultGradients()).toEqual([]);
    expect(tf.getGradient('BatchMatMul')).toBe(builtin);
  });

  it('removes the override where the kernel had no gradient before', () => {
    const builtin = tf.getGradient('GatherV2');
    tf.unregisterGradient('GatherV2');
    registerGradientOverrides(['GatherV2']);
    restoreDefaultGradients(['GatherV2']);
    expect(tf.getGradient('GatherV2')).toBeUndefined();
    tf.registerGradient(builtin);
  });

  it('puts back a custom gradient registered before the override', () => {
    const builtin = tf.getGradient('GatherV2');
    const custom: GradConfig = { kernelName: 'GatherV2', gradFunc: () => ({}) };
    tf.registerGradient(custom);
    registerGradientOverrides(['GatherV2']);
    expect(tf.getGradient('GatherV2')).toBe(gradientOverrideConfig('GatherV2'));
    restoreDefaultGradients(['GatherV2']);
    expect(tf.getGradient('GatherV2')).toBe(custom);
    tf.registerGradient(builtin);
  });

  it('leaves alone a gradient registered after the override', () => {
    const builtin = tf.getGradient('Conv2D');
    registerGradientOverrides(['Conv2D']);
    const later: GradConfig = { kernelName: 'Conv2D', gradFunc: () => ({}) };
    tf.registerGradient(later);
    expect(activeGradientOverrides()).toEqual([]);
    restoreDefaultGradients(['Conv2D']);
    expect(tf.getGradient('Conv2D')).toBe(later);
    tf.registerGradient(builtin);
  });

  it('rejects unknown names', () => {
    expect(() => registerGradientOverrides(['MatMul' as GradientOverrideName])).toThrow(InvalidArgumentError);
    expect(() => registerGradientOverrides(['MatMul' as GradientOverrideName])).toThrow(
      'names[0] must be one of "BatchMatMul", "Conv2D", "Conv2DBackpropInput", "GatherV2": got "MatMul"',
    );
  });
});
