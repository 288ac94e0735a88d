import { describe, expect, it } from 'vitest';
import { AdaptiveKLController, FixedKLController, klControllerFromState } from './adaptive-kl-controller.js';

describe('KL controllers', () => {
  it('adaptive: beta *= 1 + clip(KL / target - 1, -0.2, 0.2) * n / horizon', () => {
    const controller = new AdaptiveKLController(0.2, 6, 10000);
    // KL 9: error 0.5, clipped to 0.2 -> 0.2 * (1 + 0.2 * 256 / 10000) = 0.201024
    controller.update(9, 256);
    expect(controller.value).toBeCloseTo(0.201024, 12);
    // KL 3: error -0.5, clipped to -0.2 -> 0.201024 * (1 - 0.00512) = 0.19999475712
    controller.update(3, 256);
    expect(controller.value).toBeCloseTo(0.19999475712, 12);
    // KL 6.6: error 0.1, not clipped -> * (1 + 0.1 * 100 / 10000)
    controller.update(6.6, 100);
    expect(controller.value).toBeCloseTo(0.19999475712 * 1.001, 12);
    // On target: unchanged.
    const before = controller.value;
    controller.update(6, 1000);
    expect(controller.value).toBe(before);
    const restored = klControllerFromState(JSON.parse(JSON.stringify(controller.state())));
    expect(restored.state()).toEqual(controller.state());
    restored.update(100, 10);
    controller.update(100, 10);
    expect(restored.value).toBe(controller.value);
  });

  it('fixed: never moves; bad arguments are named', () => {
    const fixed = new FixedKLController(0.05);
    fixed.update(100, 64);
    expect(fixed.value).toBe(0.05);
    expect(klControllerFromState(fixed.state()).value).toBe(0.05);
    expect(() => new AdaptiveKLController(0.1, 0, 10)).toThrow(/target/);
    expect(() => new FixedKLController(-1)).toThrow(/klCoef/);
    expect(() => new AdaptiveKLController(0.1, 6, 10).update(NaN, 1)).toThrow(/currentKl/);
    expect(() => klControllerFromState({ type: 'pid' } as never)).toThrow(/state.type/);
  });
});
