import type { Ledger } from '../store/ledger.js';
import { S_REQUESTS } from '../store/rollups.js';
import { exportRowPage, type ExportCursor, type ExportRange } from './export-rows.js';
import { exportText, type ExportFormat } from './export-text.js';

/**
 * One page of an export to read: the range with its names already resolved to ids (by the service, so
 * an unknown name is -1 on every page), where the page starts, and what the pages before it wrote.
 */
export interface ExportArgs extends ExportRange {
  format: ExportFormat;
  cursor: ExportCursor;
  /** Rows the pages before this one wrote. */
  written: number;
  /** The most requests in one page. */
  limit: number;
}

export interface ExportPage {
  /** The page as UTF-8, in memory of its own: a read worker hands it over without a copy. */
  bytes: Uint8Array;
  rows: number;
  /** Where the next page starts; null after the last. */
  next: ExportCursor | null;
  /**
   * The first page only: the requests its range holds now, by the rollups (a progress bar's end; those
   * recorded during the export may add to it), or null where the rollups cannot count them.
   */
  total?: number | null;
}

/**
 * A page of an export as the bytes the file holds there: read, named and written out on the thread
 * that reads (a read worker), so the thread serving HTTP only passes bytes on. Serialising is most of
 * an export's cost (csv-stringify ~4-7 µs a row, the read ~2).
 */
export function exportPage(ledger: Ledger, args: ExportArgs): ExportPage {
  const { rows, next } = exportRowPage(ledger, args, args.cursor, args.limit);
  const first = args.cursor.phase === 'requests' && args.cursor.after === null;
  const text = exportText(rows, args.format, { first, written: args.written, last: next === null });
  // Never Buffer's shared pool: a pooled buffer cannot be transferred to another thread.
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  bytes.write(text, 0, 'utf8');
  return { bytes, rows: rows.length, next, ...(first ? { total: requestsIn(ledger, args) } : {}) };
}

/**
 * Counted from the rollups (~the 30-day summary's cost, a few ms at 10M requests), not the request
 * log (a scan of the range). A project and a machine together have no rollup set.
 */
function requestsIn(ledger: Ledger, range: ExportRange): number | null {
  if (range.projectId !== undefined && range.hostId !== undefined) return null;
  const filter = {
    ...(range.modelId === undefined ? {} : { modelId: range.modelId }),
    ...(range.projectId === undefined ? {} : { projectId: range.projectId }),
    ...(range.hostId === undefined ? {} : { hostId: range.hostId }),
  };
  const cells = ledger.usage.run({ from: range.from, to: range.to, starts: [range.from], widthMs: null }, filter, false);
  return cells.reduce((sum, cell) => sum + cell.sums[S_REQUESTS]!, 0);
}
