import { describe, expect, it } from 'vitest';
import { JobProgressTracker, formatJobProgress } from './job-progress.js';

describe('JobProgressTracker', () => {
  it('estimates the time left from the weight computed so far, leaving cached jobs out of the pace', () => {
    let now = 100;
    const tracker = new JobProgressTracker([10, 30, 20, 40], () => now);
    expect(tracker.snapshot().etaSeconds).toBeUndefined();
    tracker.finish(3, 'cached'); // weight 40 takes no time
    now = 105;
    tracker.finish(0, 'computed'); // 10 weight units in 5 s: 0.5 s per unit
    // 50 units left at 0.5 s per unit = 25 s.
    expect(tracker.snapshot()).toEqual({ total: 4, done: 2, cached: 1, failed: 0, elapsedSeconds: 5, etaSeconds: 25 });
    now = 120;
    tracker.finish(1, 'failed');
    tracker.finish(2, 'computed');
    expect(tracker.snapshot()).toMatchObject({ done: 3, failed: 1, etaSeconds: 0 });
    expect(formatJobProgress(tracker.snapshot())).toBe('3/4 jobs (1 cached, 1 failed), 20s elapsed, ETA 0s');
  });
});
