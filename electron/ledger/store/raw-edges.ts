/**
 * The raw rows at a summary's edges, summed once by model, project, host and currency and shared by
 * the summary's reads of each rollup set (plain, project, host). An edge older than the minute
 * rollups' two days is up to an hour of raw rows, ~14,000 at 10M requests a month; read once per set
 * it was most of a 7- or 30-day summary (3 x 7-10 ms at 10M). Lives for one answer only: raw rows
 * change with every batch.
 *
 * A row is `[model, project, host, currency, ...sums]` (0 for no project, this machine, unpriced).
 */
export class RawEdges {
  private readonly kept = new Map<string, readonly (readonly number[])[]>();

  /** The rows of one piece and filter (`key`), read by `read` the first time. */
  rows(key: string, read: () => readonly (readonly number[])[]): readonly (readonly number[])[] {
    let rows = this.kept.get(key);
    if (rows === undefined) this.kept.set(key, (rows = read()));
    return rows;
  }
}

/** Where RawEdges rows keep each dimension's value. */
export const EDGE_COLUMN = { project: 1, host: 2 } as const;
/** Where their sums start. */
export const EDGE_SUMS_AT = 4;
