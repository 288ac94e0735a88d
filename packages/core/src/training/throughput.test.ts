import { afterEach, describe, expect, it, vi } from 'vitest';
import { Throughput } from './throughput.js';

describe('Throughput', () => {
  afterEach(() => vi.restoreAllMocks());

  it('divides running totals by the seconds since construction', () => {
    const now = vi.spyOn(performance, 'now').mockReturnValue(1000);
    const throughput = new Throughput();
    now.mockReturnValue(3000); // 2 s later
    expect(throughput.add(8, 100)).toEqual({ samplesPerSecond: 4, tokensPerSecond: 50 });
    now.mockReturnValue(5000); // 4 s in total
    expect(throughput.add(8)).toEqual({ samplesPerSecond: 4, tokensPerSecond: 25 });
  });
});
