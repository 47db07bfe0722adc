import { UTC_CALENDAR, type DayCalendar } from '../time/day-calendar.js';
import { HOUR_MS, MINUTE_MS } from '../time/ranges.js';
import type { Coverage } from './coverage.js';
import type { RollupTable } from './rollups.js';

export type PieceSource = RollupTable | 'requests';

/** A part of a time range and the table that answers it exactly. */
export interface Piece {
  source: PieceSource;
  from: number;
  to: number;
  /**
   * Set on an expired minute or hour answered from its rollup: its rows count at this time (the
   * middle of the bucket, inside the part of the range that asked for it), not at the bucket's start.
   */
  at?: number;
  /** -1: the piece's rows are taken out (the rest of an hour read whole from its rollup; see pushEdge). */
  sign?: -1;
}

type CoverageView = Pick<Coverage, 'minuteFrom' | 'rawFrom'>;

/**
 * Splits [from, to) into whole days, whole hours, whole minutes and raw edges, so a month is read as
 * ~30 day rows per key plus a few hours, minutes and raw milliseconds at the edges. Minute rollups
 * and raw rows are used only where they are still kept; an edge older than the raw rows is answered
 * at hour grain, rounded to the nearest hour boundary (the only inexact case, for expired data): the
 * hour counts in whichever piece holds its middle, so any split of a range counts each hour once.
 */
export function planPieces(from: number, to: number, coverage: CoverageView, calendar: DayCalendar = UTC_CALENDAR): Piece[] {
  const out: Piece[] = [];
  const levels: CoarseLevel[] = [
    { table: 'rollup_day', floor: (ts) => calendar.dayStart(ts), next: (start) => calendar.nextDay(start) },
    { table: 'rollup_hour', floor: (ts) => ts - (ts % HOUR_MS), next: (start) => start + HOUR_MS },
  ];
  splitCoarse(from, to, levels, 0, out, coverage);
  return out;
}

interface CoarseLevel {
  table: 'rollup_day' | 'rollup_hour';
  floor(ts: number): number;
  next(bucketStart: number): number;
}

function splitCoarse(from: number, to: number, levels: readonly CoarseLevel[], levelIndex: number, out: Piece[], coverage: CoverageView): void {
  if (from >= to) return;
  const level = levels[levelIndex];
  if (!level) {
    splitFine(from, to, out, coverage);
    return;
  }
  const floorFrom = level.floor(from);
  const first = floorFrom === from ? from : level.next(floorFrom);
  const last = level.floor(to);
  if (first >= last) {
    // No whole bucket of this grain inside, but a boundary may still cut the range in two.
    if (from < first && first < to) {
      splitCoarse(from, first, levels, levelIndex + 1, out, coverage);
      splitCoarse(first, to, levels, levelIndex + 1, out, coverage);
    } else {
      splitCoarse(from, to, levels, levelIndex + 1, out, coverage);
    }
    return;
  }
  splitCoarse(from, first, levels, levelIndex + 1, out, coverage);
  out.push({ source: level.table, from: first, to: last });
  splitCoarse(last, to, levels, levelIndex + 1, out, coverage);
}

/** [from, to) lies within one hour here. */
function splitFine(from: number, to: number, out: Piece[], coverage: CoverageView): void {
  if (from >= coverage.minuteFrom) {
    const first = Math.ceil(from / MINUTE_MS) * MINUTE_MS;
    const last = Math.floor(to / MINUTE_MS) * MINUTE_MS;
    if (first < last) {
      pushEdge(from, first, MINUTE_MS, out, coverage);
      pushMinutes(first, last, out, coverage);
      pushEdge(last, to, MINUTE_MS, out, coverage);
    } else if (from < first && first < to) {
      pushEdge(from, first, MINUTE_MS, out, coverage);
      pushEdge(first, to, MINUTE_MS, out, coverage);
    } else {
      pushEdge(from, to, MINUTE_MS, out, coverage);
    }
    return;
  }
  pushEdge(from, to, HOUR_MS, out, coverage);
}

/**
 * Whole minutes [first, last) within one hour: their rollup rows, or, when they are more than half the
 * hour and the whole hour has minute rollups, the hour's rollup less the minutes of the rest of the
 * hour, all counted where the minutes are. A dimension split then reads its hourly totals (a few rows)
 * instead of every minute row of every key (~1,500 rows for 40 minutes of projects at 10M a month).
 */
function pushMinutes(first: number, last: number, out: Piece[], coverage: CoverageView): void {
  const hour = first - (first % HOUR_MS);
  if (last - first <= HOUR_MS / 2 || hour < coverage.minuteFrom) {
    out.push({ source: 'rollup_minute', from: first, to: last });
    return;
  }
  out.push({ source: 'rollup_hour', from: hour, to: hour + HOUR_MS, at: first });
  if (hour < first) out.push({ source: 'rollup_minute', from: hour, to: first, at: first, sign: -1 });
  if (last < hour + HOUR_MS) out.push({ source: 'rollup_minute', from: last, to: hour + HOUR_MS, at: first, sign: -1 });
}

/**
 * An edge within one bucket of `grain` (a minute, or an hour where minute rollups are gone): raw rows
 * while that whole bucket still has them, else the bucket's rollup, counted in the edge holding its
 * middle (rounding both ends to the nearest boundary). A bucket is raw or rolled up as a whole, so
 * every way of cutting a range agrees.
 *
 * An hour edge longer than half the hour is read as the whole hour's rollup less the raw rows of the
 * rest of the hour, all counted where the edge is: exact as long as the hour has raw rows, and never
 * more than half an hour of raw rows. The start of a 7- or 30-day range, older than the minute
 * rollups, was up to an hour of raw rows (~14,000 at 10M requests a month) read for every summary.
 */
function pushEdge(from: number, to: number, grain: number, out: Piece[], coverage: CoverageView): void {
  if (from >= to) return;
  const bucket = Math.floor(from / grain) * grain;
  if (bucket >= coverage.rawFrom) {
    if (grain === HOUR_MS && to - from > HOUR_MS / 2) {
      out.push({ source: 'rollup_hour', from: bucket, to: bucket + HOUR_MS, at: from });
      if (bucket < from) out.push({ source: 'requests', from: bucket, to: from, at: from, sign: -1 });
      if (to < bucket + HOUR_MS) out.push({ source: 'requests', from: to, to: bucket + HOUR_MS, at: from, sign: -1 });
      return;
    }
    out.push({ source: 'requests', from, to });
    return;
  }
  const middle = bucket + grain / 2;
  if (from <= middle && middle < to) {
    out.push({ source: grain === MINUTE_MS ? 'rollup_minute' : 'rollup_hour', from: bucket, to: bucket + grain, at: middle });
  }
}

/** Joins touching pieces of the same source, so each source is read with as few queries as possible. */
export function mergePieces(pieces: readonly Piece[]): Piece[] {
  const merged: Piece[] = [];
  for (const piece of pieces) {
    const last = merged[merged.length - 1];
    if (last && last.source === piece.source && last.to === piece.from && last.at === undefined && piece.at === undefined) last.to = piece.to;
    else merged.push({ ...piece });
  }
  return merged;
}
