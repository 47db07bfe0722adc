import type { HistoryGroupBy } from '../../../shared/schemas/queries.js';

/** One cell's sums, as the history sums them (cost in exact nanos per currency id). */
export interface CellTotals {
  readonly requests: number;
  readonly failures: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
  readonly unpricedRequests: number;
  readonly runtimeMs: number;
  readonly costNanos: ReadonlyMap<number, number>;
}

/** What a history's rows are: one per model, project, host or channel, or a single row of everything. */
export type HistoryRowKey = HistoryGroupBy | null;

export interface HistoryRow {
  /**
   * The model's, project's or host's name, or the channel's metrics key; null for no project, this
   * machine, no channel, or the single row.
   */
  readonly name: string | null;
  /** A channel row's API type (null for no channel); absent on other rows. */
  readonly apiType?: string | null;
  /** One per bucket start. */
  readonly cells: readonly CellTotals[];
}

/**
 * A history summed but not yet shaped: the objects the data API returns and the JSON the read worker
 * writes straight from it (reads/history-json.ts) are both made from this, in this order.
 */
export class HistoryGrid {
  constructor(
    readonly starts: readonly number[],
    readonly key: HistoryRowKey,
    /** Rows by id, ascending. */
    readonly rows: readonly HistoryRow[],
  ) {}

  /** Buckets in the answer: every row at every start. */
  get size(): number {
    return this.starts.length * this.rows.length;
  }

  /** Every cell in the answer's order: start by start, and the rows in order within one. */
  forEach(visit: (ts: number, row: HistoryRow, totals: CellTotals) => void): void {
    const { starts, rows } = this;
    for (let i = 0; i < starts.length; i++) {
      const ts = starts[i]!;
      for (const row of rows) visit(ts, row, row.cells[i]!);
    }
  }
}
