import { stringify, type Options } from 'csv-stringify/sync';
import type { ExportRow, RequestRow } from '../../../shared/types.js';

/** What the export writes; rows from an older reader (plain request rows) leave the newer columns empty. */
type LaterRequestColumns = 'project' | 'branch' | 'sessionId' | 'responseId' | 'host';
export type ExportTextRow = Omit<RequestRow, LaterRequestColumns> &
  Partial<Pick<RequestRow, LaterRequestColumns>> &
  Partial<Pick<ExportRow, 'kind' | 'runtimeMs' | 'channelLabel' | 'route'>>;

const CSV_COLUMNS: (keyof ExportRow | 'time')[] = [
  'time',
  'ts',
  'model',
  'apiType',
  'inputTokens',
  'outputTokens',
  'cacheReadTokens',
  'cacheWriteTokens',
  'success',
  'failureClass',
  'statusCode',
  'latencyMs',
  'ttftMs',
  'channel',
  'source',
  'requestId',
  'cost',
  'currency',
  // Added later, so at the end: columns keep their places for sheets built on the older export.
  'kind',
  'runtimeMs',
  'channelLabel',
  'route',
  'project',
  'branch',
  'sessionId',
  'responseId',
  'host',
];

/**
 * Control characters other than tab and line breaks (NUL, ESC, DEL, C1) reach a CSV cell only from a
 * hostile or broken client; they break or fool the programs that open the file. Tested before
 * replacing: almost no cell holds one.
 */
const CONTROL = /(?![\t\n\r])\p{Cc}/gu;
const HAS_CONTROL = /(?![\t\n\r])\p{Cc}/u;

const CSV_OPTIONS: Options = {
  columns: CSV_COLUMNS,
  escape_formulas: true,
  cast: {
    boolean: (value) => (value ? 'true' : 'false'),
    string: (value) => (HAS_CONTROL.test(value) ? value.replace(CONTROL, '\uFFFD') : value),
  },
};

export type ExportFormat = 'csv' | 'json';

/** Where a page of rows sits in its export: what it opens and what it closes. */
export interface PagePlace {
  /** The export's first page: the CSV header comes with it. */
  first: boolean;
  /** Rows the pages before this one wrote: JSON's opening bracket comes with the first row. */
  written: number;
  /** The export's last page: it closes JSON's array. */
  last: boolean;
}

/**
 * A page of the export as text; the pages' texts, joined in order, are the whole file. Text in the CSV
 * comes from clients (model names, sources, request ids): csv-stringify's escape_formulas puts a '
 * before a cell a spreadsheet would run (=, +, -, @, tab, CR and their full-width forms;
 * =HYPERLINK(...), @SUM(...), =cmd|...), and control characters become U+FFFD. JSON escapes both by
 * itself.
 */
export function exportText(rows: readonly ExportTextRow[], format: ExportFormat, place: PagePlace): string {
  if (format === 'csv') return csvText(rows, place.first);
  const closing = place.last ? (place.written + rows.length === 0 ? '[\n]\n' : '\n]\n') : '';
  return jsonText(rows, place.written === 0) + closing;
}

/** A page's CSV lines, the header line first in the first; rows go as arrays in the columns' order. */
function csvText(rows: readonly ExportTextRow[], header: boolean): string {
  if (rows.length === 0 && !header) return '';
  const records = rows.map((row) => CSV_COLUMNS.map((key) => (key === 'time' ? new Date(row.ts).toISOString() : row[key])));
  return stringify(records, { ...CSV_OPTIONS, header });
}

/** A page's rows as JSON array elements, the array's opening bracket before the first. */
function jsonText(rows: readonly ExportTextRow[], opening: boolean): string {
  if (rows.length === 0) return '';
  let text = opening ? '[' : ',';
  for (let i = 0; i < rows.length; i++) text += `${i === 0 ? '' : ','}\n${JSON.stringify(rows[i])}`;
  return text;
}
