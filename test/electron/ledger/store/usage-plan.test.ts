import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergePieces, planPieces, type Piece } from '../../../../electron/ledger/store/usage-plan.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const BASE = Date.UTC(2024, 0, 1);

/**
 * The time the pieces read, net of pieces taken out (sign -1), as sorted disjoint intervals (touching
 * ones joined); throws where time would be read twice or taken out without being read.
 */
function covered(pieces: readonly Piece[]): [number, number][] {
  const steps = new Map<number, number>();
  for (const p of pieces) {
    const sign = p.sign ?? 1;
    steps.set(p.from, (steps.get(p.from) ?? 0) + sign);
    steps.set(p.to, (steps.get(p.to) ?? 0) - sign);
  }
  const out: [number, number][] = [];
  let depth = 0;
  for (const at of [...steps.keys()].sort((a, b) => a - b)) {
    const before = depth;
    depth += steps.get(at)!;
    if (depth > 1) throw new Error(`pieces overlap at ${at}`);
    if (depth < 0) throw new Error(`time taken out but never read at ${at}`);
    if (before === 0 && depth === 1) {
      const last = out[out.length - 1];
      if (last && last[1] === at) out.pop();
      out.push([last && last[1] === at ? last[0] : at, at]);
    } else if (before === 1 && depth === 0) {
      out[out.length - 1]![1] = at;
    }
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
          // Only an hour read whole for most of its minutes (and the minutes taken out of it) is
          // counted elsewhere than where its rows are: where those minutes are, inside the range.
          if (piece.at !== undefined) expect(piece.at >= from && piece.at < from + span).toBe(true);
          if (piece.source === 'requests') continue;
          // Never more than half an hour of minute rows in one piece (before merging).
          if (piece.source === 'rollup_minute') expect(piece.to - piece.from).toBeLessThanOrEqual(HOUR / 2);
          expect(piece.from % GRAIN[piece.source]).toBe(0);
          expect(piece.to % GRAIN[piece.source]).toBe(0);
        }
      }),
    );
  });

  it('reads a month as a few day pieces and small edges', () => {
    const from = BASE + 5 * HOUR + 7 * MINUTE + 5;
    const pieces = planPieces(from, from + 30 * DAY, { minuteFrom: 0, rawFrom: 0 });
    expect(pieces.map((p) => `${p.sign === -1 ? '-' : ''}${p.source}`)).toEqual([
      'requests',
      // 52 minutes of the first hour: the hour less its first 8 minutes.
      'rollup_hour',
      '-rollup_minute',
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

  it('reads an edge longer than half an hour of raw rows as its hour less the rest of the hour, placed at the edge', () => {
    const raw = { minuteFrom: BASE + 5 * DAY, rawFrom: BASE };
    const hour = BASE + 10 * HOUR;
    expect(planPieces(hour + 10 * MINUTE + 5, hour + HOUR, raw)).toEqual([
      { source: 'rollup_hour', from: hour, to: hour + HOUR, at: hour + 10 * MINUTE + 5 },
      { source: 'requests', from: hour, to: hour + 10 * MINUTE + 5, at: hour + 10 * MINUTE + 5, sign: -1 },
    ]);
    // Inside one hour: both ends of the hour taken out.
    expect(planPieces(hour + 5 * MINUTE, hour + 50 * MINUTE, raw).map((p) => [p.source, p.from - hour, p.to - hour, p.sign])).toEqual([
      ['rollup_hour', 0, HOUR, undefined],
      ['requests', 0, 5 * MINUTE, -1],
      ['requests', 50 * MINUTE, HOUR, -1],
    ]);
    // Half an hour or less stays raw rows.
    expect(planPieces(hour + 30 * MINUTE, hour + HOUR, raw)).toEqual([{ source: 'requests', from: hour + 30 * MINUTE, to: hour + HOUR }]);
  });

  it('never reads more than half an hour of raw rows in one edge where minute rollups are gone', () => {
    const raw = { minuteFrom: BASE + 5 * DAY, rawFrom: BASE };
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 * DAY }), fc.integer({ min: 1, max: 2 * DAY }), (offset, span) => {
        const pieces = planPieces(BASE + offset, BASE + offset + span, raw);
        for (const piece of pieces) if (piece.source === 'requests') expect(piece.to - piece.from).toBeLessThanOrEqual(HOUR / 2);
        expect(covered(pieces)).toEqual([[BASE + offset, BASE + offset + span]]);
      }),
      { numRuns: 500 },
    );
  });

  it('never merges a rounded hour with its neighbours', () => {
    const hour = BASE + 10 * HOUR;
    const pieces = [...planPieces(hour - HOUR, hour, coverage), ...planPieces(hour, hour + 40 * MINUTE, coverage)];
    expect(mergePieces(pieces)).toHaveLength(2);
  });
});
