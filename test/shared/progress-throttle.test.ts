import { describe, expect, it } from 'vitest';
import { progressThrottle } from '../../shared/progress-throttle.js';

describe('progressThrottle', () => {
  it('tells the first step, then at most one an interval, and always the end', () => {
    let now = 0;
    const due = progressThrottle(100, () => now);
    const told: number[] = [];
    for (now = 0; now <= 330; now += 30) if (due(false)) told.push(now);
    expect(told).toEqual([0, 120, 240]);
    // The end is told even 0 ms after the last.
    expect(due(true)).toBe(true);
    expect(due(true)).toBe(true);
  });
});
