import { HOUR_MS, MINUTE_MS } from '../time/ranges.js';
import type { Coverage } from './coverage.js';
import { ROLLUP_LEVELS, type RollupTable } from './rollups.js';

export type PieceSource = RollupTable | 'requests';

/** A part of a time range and the table that answers it exactly. */
export interface Piece {
  source: PieceSource;
  from: number;
  to: number;
}

type CoverageView = Pick<Coverage, 'minuteFrom' | 'rawFrom'>;

/**
 * Splits [from, to) into whole days, whole hours, whole minutes and raw edges, so a month is read as
 * ~30 day rows per key plus a few hours, minutes and raw milliseconds at the edges. Minute rollups
 * and raw rows are used only where they are still kept; an edge older than the raw rows is answered
 * at hour grain, rounded to the nearest hour boundary (the only inexact case, for expired data).
 */
export function planPieces(from: number, to: number, coverage: CoverageView): Piece[] {
  const out: Piece[] = [];
  splitCoarse(from, to, 0, out, coverage);
  return out;
}

const COARSE = ROLLUP_LEVELS.filter((level) => level.grain >= HOUR_MS);

function splitCoarse(from: number, to: number, levelIndex: number, out: Piece[], coverage: CoverageView): void {
  if (from >= to) return;
  const level = COARSE[levelIndex];
  if (!level) {
    splitFine(from, to, out, coverage);
    return;
  }
  const first = Math.ceil(from / level.grain) * level.grain;
  const last = Math.floor(to / level.grain) * level.grain;
  if (first >= last) {
    splitCoarse(from, to, levelIndex + 1, out, coverage);
    return;
  }
  splitCoarse(from, first, levelIndex + 1, out, coverage);
  out.push({ source: level.table, from: first, to: last });
  splitCoarse(last, to, levelIndex + 1, out, coverage);
}

/** [from, to) lies within one hour here. */
function splitFine(from: number, to: number, out: Piece[], coverage: CoverageView): void {
  if (from >= coverage.minuteFrom) {
    const first = Math.ceil(from / MINUTE_MS) * MINUTE_MS;
    const last = Math.floor(to / MINUTE_MS) * MINUTE_MS;
    if (first < last) {
      pushRaw(from, first, out);
      out.push({ source: 'rollup_minute', from: first, to: last });
      pushRaw(last, to, out);
      return;
    }
    pushRaw(from, to, out);
    return;
  }
  if (from >= coverage.rawFrom) {
    pushRaw(from, to, out);
    return;
  }
  if (to - from >= HOUR_MS / 2) {
    const hour = Math.floor(from / HOUR_MS) * HOUR_MS;
    out.push({ source: 'rollup_hour', from: hour, to: hour + HOUR_MS });
  }
}

function pushRaw(from: number, to: number, out: Piece[]): void {
  if (from < to) out.push({ source: 'requests', from, to });
}

/** Joins touching pieces of the same source, so each source is read with as few queries as possible. */
export function mergePieces(pieces: readonly Piece[]): Piece[] {
  const merged: Piece[] = [];
  for (const piece of pieces) {
    const last = merged[merged.length - 1];
    if (last && last.source === piece.source && last.to === piece.from) last.to = piece.to;
    else merged.push({ ...piece });
  }
  return merged;
}
