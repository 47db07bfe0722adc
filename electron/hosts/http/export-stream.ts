import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { ExportRow, RequestRow } from '../../../shared/types.js';

/** What the export writes; rows from an older reader (plain request rows) leave the newer columns empty. */
type LaterRequestColumns = 'project' | 'branch' | 'sessionId' | 'responseId' | 'host';
export type ExportStreamRow = Omit<RequestRow, LaterRequestColumns> &
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
 * hostile or broken client; they break or fool the programs that open the file.
 */
const CONTROL = /(?![\t\n\r])\p{Cc}/gu;

/**
 * The export as a stream, read in chunks with a turn of the event loop between them, so an export
 * of millions of rows neither blocks the server nor sits in memory.
 *
 * Text in the CSV comes from clients (model names, sources, request ids): csv-stringify's
 * escape_formulas puts a ' before a cell a spreadsheet would run (=, +, -, @, tab, CR and their
 * full-width forms; =HYPERLINK(...), @SUM(...), =cmd|...), and control characters become U+FFFD.
 * JSON escapes both by itself.
 */
export function exportStream(chunks: Iterator<readonly ExportStreamRow[]>, format: 'csv' | 'json'): Readable {
  async function* rows(): AsyncGenerator<ExportStreamRow> {
    for (let next = chunks.next(); !next.done; next = chunks.next()) {
      yield* next.value;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  if (format === 'csv') {
    // Rows go to csv-stringify as arrays in the columns' order: given objects it took ~11 µs a row.
    const csv = stringify({
      header: true,
      columns: CSV_COLUMNS,
      escape_formulas: true,
      cast: {
        boolean: (value) => (value ? 'true' : 'false'),
        string: (value) => value.replace(CONTROL, '\uFFFD'),
      },
    });
    const source = Readable.from(
      (async function* () {
        for await (const row of rows()) yield CSV_COLUMNS.map((key) => (key === 'time' ? new Date(row.ts).toISOString() : row[key]));
      })(),
    );
    source.on('error', (error) => csv.destroy(error));
    return source.pipe(csv);
  }
  return Readable.from(
    (async function* () {
      yield '[';
      let first = true;
      for await (const row of rows()) {
        yield `${first ? '' : ','}\n${JSON.stringify(row)}`;
        first = false;
      }
      yield '\n]\n';
    })(),
  );
}
