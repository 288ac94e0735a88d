import { describe, expect, it } from 'vitest';
import { coRunSummary } from './co-run.js';

describe('coRunSummary', () => {
  it('divides the full step by the slowest co-running share, and the mean co-run by the share alone', () => {
    // Full step 0.9 s; half of it 0.45 s alone; 0.50 and 0.52 s when two run at once.
    const summary = coRunSummary({ seconds: 0.9, cpuSeconds: 0.95 }, { seconds: 0.45, cpuSeconds: 0.47 }, [
      { seconds: 0.5, cpuSeconds: 0.52 },
      { seconds: 0.52, cpuSeconds: 0.54 },
    ]);
    expect(summary.slowdown).toBeCloseTo(0.51 / 0.45, 12);
    expect(summary.ceiling).toBeCloseTo(0.9 / 0.52, 12);
  });
});
