import { EDGE_SUMS_AT } from './raw-edges.js';
import { RowBudget } from './row-budget.js';
import { S_REQUESTS, SUM_COUNT } from './rollups.js';

/**
 * An edge's rows, laid out as RawEdges rows are: EDGE_SUMS_AT key values (whatever the read groups
 * by), then SUM_COUNT sums. A key whose rows were all taken out again has a request count of 0 and is
 * no row at all.
 */
export type EdgeRow = readonly number[];

interface Kept {
  version: number;
  from: number;
  to: number;
  rows: Map<string, EdgeRow>;
}

/**
 * A range's edge in a past hour, kept between calls and moved instead of read again. The start of a 7-
 * or 30-day range lies in an hour older than the minute rollups, and its edge (up to half an hour of
 * raw rows, ~10,000 at 10M requests a month) was summed by a GROUP BY that sorts every row: 15-19 ms
 * for each summary and history a dashboard asks for every second, although only a second of rows at
 * the edge's end had changed; a 24-hour range starts in up to half an hour of minute rows of every key.
 * Now a read whose edge moved by less than half its length reads only the rows between the old and the
 * new ends (a second of raw rows, a minute row), and adds or takes them out.
 *
 * Kept per query shape and hour under the hour's version (rollup-versions.ts): any change to the
 * hour's raw rows that its sums or keys could see (late records, re-pricing, a deletion, a moved
 * project) changes its rollup rows too, and so its version.
 */
export class SlidingEdges {
  private readonly kept: RowBudget<Kept>;

  /**
   * `maxRows` bounds the memory (~100 bytes a row); the least recently used edges go first. A
   * dashboard's refresh reads ~20 edges (each range start, in each set and filter), of a few hundred
   * to ~2,000 rows each at 10M requests a month.
   */
  constructor(maxRows = 40_000) {
    this.kept = new RowBudget(maxRows);
  }

  get size(): number {
    return this.kept.size;
  }

  /**
   * The rows of [from, to), within `hour` (an hour with the given version). `read(a, b)` returns the
   * rows of [a, b) for this shape, summed by key; it is asked for the whole edge, or only for the
   * stretches between the kept edge's ends and these.
   */
  rows(shape: string, hour: number, version: number, from: number, to: number, read: (from: number, to: number) => readonly EdgeRow[]): EdgeRow[] {
    const id = `${shape}\u0000${hour}`;
    const kept = this.kept.get(id);
    if (kept !== undefined && kept.version === version && Math.abs(from - kept.from) + Math.abs(to - kept.to) < (to - from) / 2) {
      if (from < kept.from) apply(kept.rows, read(from, kept.from), 1);
      else if (from > kept.from) apply(kept.rows, read(kept.from, from), -1);
      if (to > kept.to) apply(kept.rows, read(kept.to, to), 1);
      else if (to < kept.to) apply(kept.rows, read(to, kept.to), -1);
      kept.from = from;
      kept.to = to;
      // Counted again: keys came and went.
      this.kept.set(id, kept, kept.rows.size);
      return [...kept.rows.values()];
    }
    const rows = read(from, to);
    const byKey = new Map<string, EdgeRow>();
    for (const row of rows) byKey.set(keyOf(row), row);
    this.kept.set(id, { version, from, to, rows: byKey }, byKey.size);
    return [...rows];
  }
}

function keyOf(row: EdgeRow): string {
  return `${row[0]}|${row[1]}|${row[2]}|${row[3]}`;
}

/**
 * `delta` rows added (sign 1) or taken out (-1). A changed row is a new array: rows already handed out
 * stay as they were. Sums are integers below 2^53, so adding and taking out is exact.
 */
function apply(rows: Map<string, EdgeRow>, delta: readonly EdgeRow[], sign: 1 | -1): void {
  for (const change of delta) {
    const key = keyOf(change);
    const old = rows.get(key);
    const next = old === undefined ? [...change.slice(0, EDGE_SUMS_AT), ...new Array<number>(SUM_COUNT).fill(0)] : [...old];
    for (let i = 0; i < SUM_COUNT; i++) next[EDGE_SUMS_AT + i]! += sign * change[EDGE_SUMS_AT + i]!;
    if (next[EDGE_SUMS_AT + S_REQUESTS] === 0) rows.delete(key);
    else rows.set(key, next);
  }
}
