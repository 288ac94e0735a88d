import { describe, expect, it } from 'vitest';
import { ddpoUpdateFlops } from './flops.js';

describe('ddpoUpdateFlops', () => {
  it('counts two guided image-forwards per sampled step and three times that per trained timestep', () => {
    // 1000 multiply-adds = 2000 FLOPs per image-forward, x 2 for guidance = 4000 per denoising call;
    // per trajectory 20 sampled steps + 3 x 4 trained ones = 32 calls; 16 trajectories.
    expect(ddpoUpdateFlops(1000, 16, 20, 4)).toBe(16 * 4000 * 32);
    expect(ddpoUpdateFlops(1000, 1, 0, 1)).toBe(12_000);
  });
});
