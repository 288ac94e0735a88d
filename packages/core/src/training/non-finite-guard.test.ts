import { describe, expect, it } from 'vitest';
import { NonFiniteError } from '../errors/non-finite-error.js';
import { assertFinite, assertFiniteMetrics } from './non-finite-guard.js';

describe('non-finite guard', () => {
  it('passes finite numbers and names quantity and step otherwise', () => {
    expect(() => assertFinite('loss', 0.69, 3)).not.toThrow();
    expect(() => assertFinite('loss', NaN, 3)).toThrow(NonFiniteError);
    expect(() => assertFinite('grad_norm', Infinity, 12)).toThrow('grad_norm must be finite: got Infinity at step 12');
    try {
      assertFinite('loss', -Infinity, 7);
    } catch (error) {
      expect(error).toMatchObject({ quantity: 'loss', step: 7, value: -Infinity });
    }
  });

  it('checks every metric, loss and grad_norm first, or only the listed keys', () => {
    expect(() => assertFiniteMetrics({ 'rewards/margins': NaN, grad_norm: NaN, loss: NaN }, 4)).toThrow(
      'loss must be finite: got NaN at step 4',
    );
    expect(() => assertFiniteMetrics({ 'rewards/margins': NaN, grad_norm: Infinity }, 4)).toThrow(
      'grad_norm must be finite',
    );
    expect(() => assertFiniteMetrics({ 'rewards/margins': NaN, loss: 1 }, 4)).toThrow('rewards/margins must be finite');
    expect(() => assertFiniteMetrics({ 'rewards/margins': NaN, loss: 1 }, 4, ['loss', 'grad_norm'])).not.toThrow();
  });
});
