import { describe, expect, it } from 'vitest';
import { segmentsOf } from '../../../../renderer/src/views/channels/segments.js';
import { circuitEvent } from '../models/fixtures.js';

describe('segmentsOf', () => {
  it('turns transitions in any order into states lasting until the next change, the last until now', () => {
    const events = [circuitEvent(2, 200, 'closed', 'open'), circuitEvent(1, 100, null, 'closed'), circuitEvent(3, 250, 'open', 'half_open')];
    expect(segmentsOf(events, 400)).toEqual([
      { state: 'closed', start: 100, end: 200 },
      { state: 'open', start: 200, end: 250 },
      { state: 'half_open', start: 250, end: 400 },
    ]);
  });

  it('merges repeated reports of the same state into one segment', () => {
    const events = [circuitEvent(1, 100, null, 'open'), circuitEvent(2, 150, 'open', 'open'), circuitEvent(3, 300, 'open', 'closed')];
    expect(segmentsOf(events, 500)).toEqual([
      { state: 'open', start: 100, end: 300 },
      { state: 'closed', start: 300, end: 500 },
    ]);
  });

  it('has nothing to draw without transitions', () => {
    expect(segmentsOf([], 500)).toEqual([]);
  });
});
