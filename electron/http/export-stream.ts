import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { RequestRow } from '../../shared/types.js';

const CSV_COLUMNS: (keyof RequestRow | 'time')[] = [
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
];

/**
 * The request log as a stream, read in chunks with a turn of the event loop between them, so an export
 * of millions of rows neither blocks the server nor sits in memory.
 */
export function exportStream(chunks: Iterator<RequestRow[]>, format: 'csv' | 'json'): Readable {
  async function* rows(): AsyncGenerator<RequestRow> {
    for (let next = chunks.next(); !next.done; next = chunks.next()) {
      yield* next.value;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  if (format === 'csv') {
    const csv = stringify({ header: true, columns: CSV_COLUMNS.map((key) => ({ key })), cast: { boolean: (value) => (value ? 'true' : 'false') } });
    const source = Readable.from((async function* () {
      for await (const row of rows()) yield { ...row, time: new Date(row.ts).toISOString() };
    })());
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
