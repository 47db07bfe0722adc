import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergePieces, planPieces, type Piece } from '../../../../electron/ledger/store/usage-plan.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const BASE = Date.UTC(2024, 0, 1);

/** The time each piece reads, as sorted disjoint intervals (touching ones joined); throws on overlap. */
function covered(pieces: readonly Piece[]): [number, number][] {
  const intervals = pieces.map((p) => [p.from, p.to] as [number, number]).sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [from, to] of intervals) {
    const last = out[out.length - 1];
    if (last && from < last[1]) throw new Error(`pieces overlap at ${from}`);
    if (last && from === last[1]) last[1] = to;
    else out.push([from, to]);
  }
  return out;
}

const GRAIN = { rollup_day: DAY, rollup_hour: HOUR, rollup_minute: MINUTE } as const;

describe('planPieces with every grain kept', () => {
  it('tiles [from, to) exactly, each rollup piece made of whole buckets of its grain', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * DAY }), fc.integer({ min: 1, max: 5 * DAY }), (offset, span) => {
        const from = BASE + offset;
        const pieces = planPieces(from, from + span, { minuteFrom: 0, rawFrom: 0 });
        expect(covered(pieces)).toEqual([[from, from + span]]);
        for (const piece of pieces) {
          expect(piece.at).toBeUndefined();
          if (piece.source === 'requests') continue;
          expect(piece.from % GRAIN[piece.source]).toBe(0);
          expect(piece.to % GRAIN[piece.source]).toBe(0);
        }
      }),
    );
  });

  it('reads a month as a few day pieces and small edges', () => {
    const from = BASE + 5 * HOUR + 7 * MINUTE + 5;
    const pieces = planPieces(from, from + 30 * DAY, { minuteFrom: 0, rawFrom: 0 });
    expect(pieces.map((p) => p.source)).toEqual([
      'requests',
      'rollup_minute',
      'rollup_hour',
      'rollup_day',
      'rollup_hour',
      'rollup_minute',
      'requests',
    ]);
  });

  it('joins touching pieces of one source when merged', () => {
    const pieces = [...planPieces(BASE, BASE + HOUR, { minuteFrom: 0, rawFrom: 0 }), ...planPieces(BASE + HOUR, BASE + 3 * HOUR, { minuteFrom: 0, rawFrom: 0 })];
    expect(mergePieces(pieces)).toEqual([{ source: 'rollup_hour', from: BASE, to: BASE + 3 * HOUR }]);
  });
});

describe('planPieces where fine data has expired', () => {
  // Minute rollups from day 3, raw rows from day 4 (both hour-aligned, as retention leaves them).
  const coverage = { minuteFrom: BASE + 3 * DAY, rawFrom: BASE + 4 * DAY };

  it('reads nothing finer than is kept', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 * DAY }), fc.integer({ min: 1, max: 2 * DAY }), (offset, span) => {
        for (const piece of planPieces(BASE + offset, BASE + offset + span, coverage)) {
          if (piece.source === 'requests') expect(piece.from).toBeGreaterThanOrEqual(coverage.rawFrom);
          if (piece.source === 'rollup_minute') expect(piece.from).toBeGreaterThanOrEqual(coverage.minuteFrom);
        }
      }),
    );
  });

  it('counts every expired hour or minute once however a range is cut', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 6 * DAY }),
        fc.integer({ min: 1, max: 2 * DAY }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
        (offset, span, cuts) => {
          const from = BASE + offset;
          const to = from + span;
          const points = [...new Set(cuts.map((c) => from + Math.floor(c * span)))].filter((p) => p > from && p < to).sort((a, b) => a - b);
          const bounds = [from, ...points, to];
          const parts: Piece[] = [];
          for (let i = 0; i + 1 < bounds.length; i++) parts.push(...planPieces(bounds[i]!, bounds[i + 1]!, coverage));
          expect(covered(parts)).toEqual(covered(planPieces(from, to, coverage)));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('rounds an expired edge to the nearest hour: the hour goes with the edge holding its middle', () => {
    const hour = BASE + 10 * HOUR;
    expect(planPieces(hour + 10 * MINUTE, hour + 40 * MINUTE, coverage)).toEqual([{ source: 'rollup_hour', from: hour, to: hour + HOUR, at: hour + 30 * MINUTE }]);
    expect(planPieces(hour + 31 * MINUTE, hour + 59 * MINUTE, coverage)).toEqual([]);
    expect(planPieces(hour, hour + 30 * MINUTE, coverage)).toEqual([]);
    expect(planPieces(hour + 30 * MINUTE, hour + HOUR, coverage)).toHaveLength(1);
    // An edge across an hour boundary is two edges.
    expect(planPieces(hour + 20 * MINUTE, hour + 100 * MINUTE, coverage).map((p) => p.from)).toEqual([hour, hour + HOUR]);
  });

  it('never merges a rounded hour with its neighbours', () => {
    const hour = BASE + 10 * HOUR;
    const pieces = [...planPieces(hour - HOUR, hour, coverage), ...planPieces(hour, hour + 40 * MINUTE, coverage)];
    expect(mergePieces(pieces)).toHaveLength(2);
  });
});
