import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { EXPORT_TOTAL_HEADER } from '../../../shared/app.js';
import { API_ROOT } from '../../../shared/http-routes.js';
import { exportQuerySchema } from '../../../shared/schemas/queries.js';
import type { ExportChunk, LedgerService } from '../../app/ledger-service.js';
import { parseInput } from '../../ledger/input/validation.js';
import { assertOrdered } from '../../ledger/time/ranges.js';

/**
 * GET /api/v1/export: the file streamed page by page. The first page is read before the headers go:
 * it tells how many requests to expect (EXPORT_TOTAL_HEADER, for a download's progress), and a
 * failure to read it is still an error answer rather than a file cut short.
 */
export function registerExport(app: FastifyInstance, service: LedgerService): void {
  app.get(`${API_ROOT}/export`, async (request, reply) => {
    const query = parseInput(exportQuerySchema, request.query, 'export query');
    assertOrdered(query.from, query.to);
    const pages = service.exportPages(query);
    const first = await pages.next();
    const stamp = new Date().toISOString().slice(0, 10);
    reply
      .type(query.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
      .header('Content-Disposition', `attachment; filename="modelmeter-requests-${stamp}.${query.format}"`);
    if (!first.done && typeof first.value.total === 'number') reply.header(EXPORT_TOTAL_HEADER, String(first.value.total));
    return reply.send(Readable.from(bytesOf(first, pages)));
  });
}

/** The pages' bytes, the first already read; a reader that goes away stops the pages too. */
async function* bytesOf(first: IteratorResult<ExportChunk>, rest: AsyncGenerator<ExportChunk>): AsyncGenerator<Uint8Array> {
  if (first.done) return;
  yield first.value.bytes;
  for await (const chunk of rest) yield chunk.bytes;
}
